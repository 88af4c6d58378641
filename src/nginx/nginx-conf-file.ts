import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { NginxSite } from './nginx-site';
import { renderNginxConf } from './render-nginx';
import { renderNginxMainConf, workersFor } from './render-nginx-main';

/** `nginx/default.conf`, mounted into the nginx service at `/etc/nginx/conf.d/default.conf`. */
export class NginxConfFile extends ManagedFile {
  public static readonly PATH = 'nginx/default.conf';
  public static readonly CONTAINER_PATH = '/etc/nginx/conf.d/default.conf';

  constructor(scope: IConstruct, site: NginxSite) {
    super(scope, NginxConfFile.PATH, { render: (marker) => renderNginxConf(site, marker) });
  }
}

/** `nginx/nginx.conf`, mounted into the nginx service over the image's `/etc/nginx/nginx.conf`. */
export class NginxMainConfFile extends ManagedFile {
  public static readonly PATH = 'nginx/nginx.conf';
  public static readonly CONTAINER_PATH = '/etc/nginx/nginx.conf';

  constructor(scope: IConstruct, site: NginxSite) {
    super(scope, NginxMainConfFile.PATH, { render: (marker) => renderNginxMainConf({ user: 'nginx', workerConnections: site.workerConnections, workerProcesses: workersFor(site.service.limits.cpus) }, marker) });
  }
}
