import type { Service } from '../compose';
import { EnvVar, EnvVarOptions } from './env-var';

/**
 * Every environment variable the stack reads, declared once. The compose file, `.env.example`, `.env`,
 * the Django settings module and the docs all take the names from here.
 */
export class EnvContract {
  private readonly _vars: EnvVar[] = [];

  /** Declares a variable; a name can be declared once. */
  public add(name: string, options: EnvVarOptions): EnvVar {
    if (this._vars.some((v) => v.name === name)) {
      throw new Error(`env: "${name}" is already declared; declare each variable once and grant it to more services`);
    }
    const envVar = new EnvVar(name, options);
    this._vars.push(envVar);
    return envVar;
  }

  public get(name: string): EnvVar | undefined {
    return this._vars.find((v) => v.name === name);
  }

  /** All variables, in the order they were declared. */
  public get all(): EnvVar[] {
    return [...this._vars];
  }

  /** The variables `service` receives. */
  public forService(service: Service): EnvVar[] {
    return this._vars.filter((v) => v.isFor(service));
  }

  /** Gives `to` every variable `from` receives (a worker that runs the web image, say). */
  public share(from: Service, to: Service): void {
    for (const v of this.forService(from)) v.grant(to);
  }
}
