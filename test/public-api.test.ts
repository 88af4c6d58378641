import { join } from 'path';
import * as ts from 'typescript';
import * as tau from '../src';

/**
 * The names `.projenrc.ts` can import from src/. Adding one here is a decision about the public surface (a
 * renderer, an option-key table or a part's internals exported by accident would otherwise become API that
 * users depend on); src/internal.ts has everything, for this repository's own tests.
 */
const VALUES = [
  'CiWorkflow', 'DjangoStack', 'Duration', 'EnvVar', 'Healthcheck', 'Image', 'KubernetesTarget', 'Network', 'Service',
  'StackValidationError', 'Volume',
];
const TYPES = [
  'AccessMode', 'AlertThresholds', 'AutoscalingOptions', 'BuildImageOptions', 'CiWorkflowOptions', 'CloudNativePgBackupOptions', 'CloudNativePgOptions', 'CloudNativePgRecoveryOptions', 'ComposeFile',
  'DatabaseMode', 'DatabasePoolOptions', 'Dependency',
  'DependsOnOptions', 'DevelopmentOverride', 'DjangoOptions', 'DjangoStackOptions', 'DockerIgnore', 'EgressRule',
  'EnvContract', 'EnvDeclaration', 'EnvVarOptions', 'ExporterOptions', 'ExternalDatabaseOptions', 'ExternalPostgresOptions', 'FileMount', 'FilesOptions',
  'HealthcheckOptions', 'HealthProbe', 'IgnoreGroup', 'IngressOptions', 'KubernetesServiceOptions',
  'KubernetesTargetOptions', 'MediaOptions', 'MediaStorageKind', 'MonitoringOptions', 'MountOptions', 'NetworkOptions', 'NginxOptions', 'PostgresOptions', 'Problem',
  'PublishedPort', 'PythonImageOptions', 'ResourceLimits', 'ResourceOptions', 'SbomOptions', 'SecretKind',
  'ServiceOptions', 'StorageOptions', 'TlsMode', 'TlsOptions', 'VolumeMount', 'VolumeOptions', 'WebOptions',
];

/** What src/index.ts exports, types included, as the TypeScript compiler sees the module. */
function publicExports(): { checker: ts.TypeChecker; symbols: ts.Symbol[] } {
  const index = join(__dirname, '..', 'src', 'index.ts');
  const program = ts.createProgram([index], { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  return { checker, symbols: checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(index)!)!) };
}

test('src/index.ts exports the public API and nothing else', () => {
  expect(publicExports().symbols.map((s) => s.name).sort()).toEqual([...VALUES, ...TYPES].sort());
});

test('the classes and values are there at run time; the rest are types only', () => {
  expect(Object.keys(tau).sort()).toEqual([...VALUES].sort());
});

test('no public name is documented as internal', () => {
  const { checker, symbols } = publicExports();
  const internal = symbols
    .map((s) => checker.getAliasedSymbol(s))
    .filter((s) => s.getJsDocTags(checker).some((tag) => tag.name === 'internal'))
    .map((s) => s.name);
  expect(internal).toEqual([]);
});
