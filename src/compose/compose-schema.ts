/**
 * The part of the Compose Specification this stack writes, as types, so that the renderer maps the model
 * onto named fields rather than converting keys by pattern.
 */
export interface ComposeFileSchema {
  readonly services: Record<string, ComposeServiceSchema>;
  readonly volumes?: Record<string, ComposeVolumeSchema>;
  readonly networks?: Record<string, ComposeNetworkSchema>;
}

export interface ComposeServiceSchema {
  readonly build?: { readonly context: string; readonly dockerfile: string };
  readonly image: string;
  readonly entrypoint?: string[];
  readonly command?: string[];
  readonly restart?: string;
  readonly depends_on?: Record<string, { readonly condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' }>;
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly healthcheck?: ComposeHealthcheckSchema;
  readonly stop_grace_period?: string;
  readonly read_only?: boolean;
  readonly tmpfs?: string[];
  readonly cap_drop?: string[];
  readonly cap_add?: string[];
  readonly sysctls?: { readonly [name: string]: string };
  readonly security_opt?: string[];
  readonly mem_limit?: string;
  readonly cpu_period?: number;
  readonly cpu_quota?: number;
  readonly pids_limit?: number;
  readonly networks?: string[];
  readonly logging?: { readonly driver: 'json-file'; readonly options: { readonly 'max-size': string; readonly 'max-file': string } };
}

export interface ComposeHealthcheckSchema {
  readonly test: string[];
  readonly interval: string;
  readonly timeout: string;
  readonly retries: number;
  readonly start_period: string;
}

export type ComposeVolumeSchema = Record<string, never>;

export interface ComposeNetworkSchema {
  readonly internal?: boolean;
}
