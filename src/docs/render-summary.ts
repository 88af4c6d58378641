import { DotEnvStatus } from '../env';
import { StackView } from './stack-view';

/** The few lines `npx projen` prints after a successful synthesis. */
export function renderSummary(view: StackView, dotEnv: DotEnvStatus | undefined): string[] {
  const site = view.site;
  const published = site.service.publishedPorts.map((p) => `:${p.host}`).join(',') || `:${site.service.port}`;
  const chain = [`${site.service.name} ${published}`];
  if (site.upstream) chain.push(`${site.upstream.name} :${site.upstream.port}`);
  chain.push(view.db ? `${view.db.name} ${view.db.image.ref}` : `external PostgreSQL (${view.env.get('POSTGRES_HOST')?.default ?? 'POSTGRES_HOST in .env'})`);
  const others = view.services.filter((s) => ![site.service, site.upstream, view.db].includes(s) && s.runs === 'continuously');
  const tasks = view.services.filter((s) => s.runs === 'once').map((s) => s.name);
  const volumes = view.volumes.map((v) => {
    const users = view.services.flatMap((s) => s.mounts.filter((m) => m.volume === v).map((m) => `${s.name}${m.readOnly ? ' ro' : ''}`));
    return `${v.name} (${users.join(', ') || 'unused'})`;
  });
  const env = !dotEnv ? '' : dotEnv.state === 'created'
    ? `created now with fresh secrets, mode 600${dotEnv.unfilled.length ? `; fill in: ${dotEnv.unfilled.join(', ')}` : ''}`
    : `present, left untouched${dotEnv.missing.length ? `; it lacks ${dotEnv.missing.join(', ')} (see ${view.envExample})` : ''}`;
  return [
    `${view.name} stack: ${chain.join(' -> ')}${others.length ? ` (+ ${others.length > 4 ? `${others.slice(0, 3).map((s) => s.name).join(', ')} and ${others.length - 3} more` : others.map((s) => s.name).join(', ')})` : ''}` +
      `${tasks.length ? `; once per deploy: ${tasks.join(', ')}` : ''}`,
    `  volumes: ${volumes.join(', ')}`,
    ...(env ? [`  ${view.envFile}: ${env}`] : []),
  ];
}
