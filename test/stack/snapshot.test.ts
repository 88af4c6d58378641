import { cleanTempDirs, synthFiles } from '../helpers/synth';

afterAll(cleanTempDirs);

// A complement to the targeted tests: shows a reviewer the whole of each file when it changes.
describe('the default Tau stack, whole files', () => {
  const files = synthFiles();
  test.each(['docker-compose.yml', 'Dockerfile', 'nginx/default.conf', '.env.example', '.dockerignore', 'requirements.txt', 'docker-entrypoint.sh', 'Tau/settings_env.py'])('%s', (path) => {
    expect(files[path]).toMatchSnapshot();
  });
});
