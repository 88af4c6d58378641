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
  private groups = 0;

  constructor(scope: IConstruct, groups: readonly IgnoreGroup[]) {
    super(Project.of(scope), '.dockerignore', { filterCommentLines: false, filterEmptyLines: false });
    groups.forEach((group) => this.addGroup(group));
  }

  /** Adds patterns under a comment that says why they stay out of the image. */
  public addGroup(group: IgnoreGroup): this {
    this.addPatterns(...(this.groups++ > 0 ? [''] : []), `# ${group.why}`, ...group.patterns);
    return this;
  }
}
