import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { OpsModel, renderBackup, renderCreateAppRole, renderRedeploy, renderRestore, renderRestoreDrill, renderUpgradePostgres } from './render-ops';

/** `ops/backup.sh`, `ops/restore.sh`, `ops/redeploy.sh`, `ops/upgrade-postgres.sh`, `ops/create-app-role.sh` and (with WAL archiving) `ops/restore-drill.sh`, executable, from the model. */
export class OpsScripts {
  public static readonly DIR = 'ops';
  public readonly files: readonly ManagedFile[];

  constructor(scope: IConstruct, model: () => OpsModel, options: { readonly drill?: boolean } = {}) {
    const script = (name: string, render: (m: OpsModel, marker: string) => string) =>
      new ManagedFile(scope, `${OpsScripts.DIR}/${name}`, { executable: true, render: (marker) => render(model(), marker) });
    this.files = [
      script('backup.sh', renderBackup),
      script('restore.sh', renderRestore),
      script('redeploy.sh', renderRedeploy),
      script('upgrade-postgres.sh', renderUpgradePostgres),
      script('create-app-role.sh', renderCreateAppRole),
      // The drill restores pgBackRest's backups: only with WAL archiving.
      ...(options.drill ? [script('restore-drill.sh', renderRestoreDrill)] : []),
    ];
  }
}
