import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { OpsModel, renderBackup, renderCreateAppRole, renderRedeploy, renderRestore, renderRestoreDrill, renderUpgradePostgres, StackOpsModel } from './render-ops';

/**
 * `ops/redeploy.sh`, and with a db service of the stack's own `ops/backup.sh`, `ops/restore.sh`,
 * `ops/upgrade-postgres.sh`, `ops/create-app-role.sh` and (with WAL archiving) `ops/restore-drill.sh`, executable,
 * from the model. Those work inside the db container: a database outside the stack gets none (its provider's
 * backups protect its data).
 */
export class OpsScripts {
  public static readonly DIR = 'ops';
  public readonly files: readonly ManagedFile[];

  constructor(scope: IConstruct, model: () => StackOpsModel & { readonly db?: OpsModel['db'] }, options: { readonly database: boolean; readonly drill?: boolean }) {
    const script = <M extends StackOpsModel>(name: string, render: (m: M, marker: string) => string, of: () => M) =>
      new ManagedFile(scope, `${OpsScripts.DIR}/${name}`, { executable: true, render: (marker) => render(of(), marker) });
    const withDb = (): OpsModel => {
      const m = model();
      return { ...m, db: m.db! };
    };
    const db = options.database;
    this.files = [
      ...(db ? [script('backup.sh', renderBackup, withDb), script('restore.sh', renderRestore, withDb)] : []),
      script('redeploy.sh', renderRedeploy, model),
      ...(db ? [script('upgrade-postgres.sh', renderUpgradePostgres, withDb), script('create-app-role.sh', renderCreateAppRole, withDb)] : []),
      // The drill restores pgBackRest's backups: only with WAL archiving.
      ...(db && options.drill ? [script('restore-drill.sh', renderRestoreDrill, withDb)] : []),
    ];
  }
}
