import { DockerfileParser, Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { pythonTool } from '../lib/python-env';
import { run } from './tools';

/** dockerfile-utils' linter: every diagnostic, warnings included, is a problem. */
export function lintDockerfile(text: string): string[] {
  return validate(text).map((d) => `dockerfile-utils (line ${d.range.start.line + 1}): ${d.message}`);
}

/**
 * hadolint, the Dockerfile linter Docker users run (the upstream binary, pinned in test/tools): every finding,
 * down to style, is a problem. Rules the model ignores on purpose say so in the Dockerfile itself.
 */
export function hadolint(text: string): string[] {
  const result = run(pythonTool('hadolint'), ['--no-color', '--failure-threshold', 'style', '-'], { input: text });
  return result.code === 0 ? [] : (result.stdout.trim() || result.stderr.trim()).split('\n').map((l) => `hadolint ${l.replace(/^-:/, 'line ')}`);
}

const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL/i;

function isWholeContextCopy(i: Instruction): boolean {
  const args = i.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith('--'));
  return i.getKeyword() === 'COPY' && args.length === 2 && args[0] === '.';
}

/** Our own rules on the parsed instructions. */
export function dockerfilePolicy(text: string): string[] {
  const problems: string[] = [];
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const stageNames = froms.map((f) => f.getBuildStage()).filter((s): s is string => !!s);
  for (const from of froms) {
    const image = from.getImageName();
    const tag = from.getImageTag();
    if (image && stageNames.includes(image)) continue;
    if (!tag && !from.getImageDigest()) problems.push(`FROM ${image}: the base image has no tag`);
    if (tag === 'latest') problems.push(`FROM ${image}:latest: the base image is not pinned`);
  }

  const instructions = dockerfile.getInstructions();
  const lastFrom = instructions.lastIndexOf(froms[froms.length - 1]);
  const finalStage = instructions.slice(lastFrom + 1);
  const users = finalStage.filter((i) => i.getKeyword() === 'USER');
  const user = users.length ? users[users.length - 1].getArguments()[0]?.getValue() : undefined;
  if (!user || user === 'root' || user === '0' || user.startsWith('0:') || user.startsWith('root:')) {
    problems.push(`the final stage runs as ${user ?? 'root (no USER)'}: it must name a non-root USER`);
  }

  for (const i of instructions) {
    if (i.getKeyword() !== 'ENV' && i.getKeyword() !== 'ARG') continue;
    for (const arg of i.getArguments()) {
      const name = arg.getValue().split('=')[0];
      if (SECRET_NAME.test(name)) problems.push(`${i.getKeyword()} ${name}: a secret-looking name is baked into the image`);
    }
  }

  const install = instructions.findIndex((i) => i.getKeyword() === 'RUN' && /pip install .*-r /.test(i.getTextContent() ?? ''));
  const copyAll = instructions.findIndex(isWholeContextCopy);
  if (install < 0) problems.push('no RUN installs the requirements');
  else if (copyAll >= 0 && copyAll < install) problems.push('the source is copied before the dependencies are installed: every code change reinstalls them');
  return problems;
}
