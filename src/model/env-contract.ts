import { named, Problem } from '../core';
import { EnvVar, EnvVarOptions } from './env-var';
import type { Service } from './service';

export interface EnvDeclaration extends EnvVarOptions {
  /**
   * The services that read the variable (`service.reads(variable)` for each).
   * @default - none yet; add them with `service.reads()`
   */
  readonly for?: Service[];
}

/**
 * Every environment variable the stack reads, declared once. The compose file, `.env.example`, `.env`,
 * the Django settings module and the docs all take the names from here. The environment flows one way:
 * a service holds the variables it reads, and the contract works out who reads what from the services.
 */
export class EnvContract {
  private readonly _vars: EnvVar[] = [];
  private readonly _problems: Problem[] = [];

  /** `services` gives the stack's services, whose reads the contract reports. */
  constructor(private readonly services: () => readonly Service[]) {}

  /** Declares a variable; a name is declared once (a second declaration is reported as a problem). */
  public add(name: string, declaration: EnvDeclaration): EnvVar {
    const { for: readers, ...options } = declaration;
    const envVar = new EnvVar(name, options);
    if (this._vars.some((v) => v.name === name)) {
      this._problems.push({ component: named('env', name), field: 'name', value: name,
        allowed: 'each variable is declared once; give the declared one to more services with service.reads()' });
      return envVar;
    }
    this._vars.push(envVar);
    for (const service of readers ?? []) service.reads(envVar);
    return envVar;
  }

  public get(name: string): EnvVar | undefined {
    return this._vars.find((v) => v.name === name);
  }

  /** All variables, in the order they were declared. */
  public get all(): EnvVar[] {
    return [...this._vars];
  }

  /** The variables `service` reads, in the contract's order. */
  public forService(service: Service): EnvVar[] {
    const reads = service.environment;
    return this._vars.filter((v) => reads.includes(v));
  }

  /** The services of the stack that read `variable`. */
  public readers(variable: EnvVar): Service[] {
    return this.services().filter((s) => s.environment.includes(variable));
  }

  /** Gives `to` every variable `from` reads (a worker that runs the web image, say). */
  public share(from: Service, to: Service): void {
    to.reads(...from.environment);
  }

  /** Every variable's own problems, declarations made twice, and variables that reach no service or another stack's. */
  public validate(): Problem[] {
    const problems: Problem[] = [...this._problems];
    const services = this.services();
    for (const v of this._vars) {
      problems.push(...v.validate());
      if (this.readers(v).length === 0) {
        problems.push({ component: named('env', v.name), field: 'for', value: [], allowed: 'a variable is read by at least one service of the stack (for: [stack.web])' });
      }
    }
    for (const s of services) {
      for (const v of s.environment) {
        if (!this._vars.includes(v)) {
          problems.push({ component: named('service', s.name), field: 'environment', value: v.name,
            allowed: 'variables declared with stack.env.add() (this one is not part of the stack\'s contract)' });
        }
      }
    }
    return problems;
  }
}
