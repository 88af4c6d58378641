import { IConstruct } from 'constructs';
import { Problem } from '../../core';
import { EnvContract, Service, ServiceOptions, ServiceRole, Volume, VolumeOptions } from '../../model';

/** A part of the stack (PostgreSQL, the Django app, the nginx proxy): it declares its services and files, and validates itself. */
export interface StackPart {
  /** The part's own problems; the stack adds those that span parts. */
  validate(): Problem[];
  /** The part's servers that have a role (PostgreSQL's db, the app's web, the proxy's nginx). */
  readonly roles?: readonly (readonly [Service, ServiceRole])[];
}

/** What a part needs from the stack it joins: the env contract, a place to add services and volumes, a scope for its files. */
export interface PartScope extends IConstruct {
  readonly env: EnvContract;
  addService(name: string, options: ServiceOptions): Service;
  addVolume(name: string, options?: VolumeOptions): Volume;
}
