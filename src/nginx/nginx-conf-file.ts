import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { NginxSite } from './nginx-site';
import { renderNginxConf } from './render-nginx';

/** `nginx/default.conf`, mounted into the nginx service at `/etc/nginx/conf.d/default.conf`. */
export class NginxConfFile extends ManagedFile {
  public static readonly PATH = 'nginx/default.conf';
  public static readonly CONTAINER_PATH = '/etc/nginx/conf.d/default.conf';

  constructor(scope: IConstruct, site: NginxSite) {
    super(scope, NginxConfFile.PATH, { render: (marker) => renderNginxConf(site, marker) });
  }
}
