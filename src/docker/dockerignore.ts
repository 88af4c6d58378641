import { IConstruct } from 'constructs';
import { IgnoreFile, Project } from 'projen';

/** Groups of patterns, each with the reason it is excluded from the build context. */
export interface IgnoreGroup {
  readonly why: string;
  readonly patterns: readonly string[];
}

/**
 * `.dockerignore`: keeps secrets, VCS data, the Node side of the repository and local artefacts out of
 * the build context, so `docker build` sends only what the image needs and never `.env`.
 */
export class DockerIgnore extends IgnoreFile {
  constructor(scope: IConstruct, groups: readonly IgnoreGroup[]) {
    super(Project.of(scope), '.dockerignore', { filterCommentLines: false, filterEmptyLines: false });
    groups.forEach((group, i) => {
      this.addPatterns(...(i > 0 ? [''] : []), `# ${group.why}`, ...group.patterns);
    });
  }
}
