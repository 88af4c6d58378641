import { changedFiles, cleanTempDirs, synthFiles, TAU } from '../helpers/synth';

afterAll(cleanTempDirs);

/** The web image's command, as the Dockerfile's CMD has it. */
function command(files: Record<string, string>): string[] {
  return JSON.parse(files.Dockerfile.split('\n').find((l) => l.startsWith('CMD '))!.slice(4));
}

describe('Gunicorn and the web metrics', () => {
  const files = synthFiles();

  test('Gunicorn reads gunicorn.conf.py and binds the web port and the metrics port, and writes no access log of its own', () => {
    const cmd = command(files);
    expect(cmd.slice(0, 4)).toEqual(['gunicorn', 'Tau.asgi:application', '--config', 'gunicorn.conf.py']);
    expect(cmd.filter((_a, i) => cmd[i - 1] === '--bind')).toEqual(['0.0.0.0:8000', '0.0.0.0:9000']);
    expect(cmd).not.toContain('--access-logfile');
  });

  test('the hooks: the metrics directory on the tmpfs, emptied when the master starts, a worker marked dead when it exits', () => {
    const conf = files['gunicorn.conf.py'];
    expect(conf).toContain('METRICS_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/prometheus")');
    expect(conf).toMatch(/def on_starting\(server\):[\s\S]*os\.remove\(path\)/);
    expect(conf).toMatch(/def child_exit\(server, worker\):[\s\S]*multiprocess\.mark_process_dead\(worker\.pid, METRICS_DIR\)/);
  });

  test('the settings tell the app its metrics port and path', () => {
    expect(files['Tau/settings_env.py']).toContain('METRICS_PORT = 9000\nMETRICS_PATH = "/metrics"\n');
  });

  test('web.metricsPort reaches the command, the settings, the docs and the scrape configuration, and nothing else', () => {
    const other = synthFiles({ ...TAU, web: { ...TAU.web, metricsPort: 9100 } });
    expect(changedFiles(files, other)).toEqual(['Dockerfile', 'Tau/settings_env.py', 'docs/ARCHITECTURE.md', 'monitoring/prometheus.yml']);
    expect(command(other)).toContain('0.0.0.0:9100');
    expect(other['Tau/settings_env.py']).toContain('METRICS_PORT = 9100\n');
  });
});
