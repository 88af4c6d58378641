import { randomBytes } from 'crypto';
import { SecretKind } from '../model';

/**
 * A fresh random secret. Base64url keeps to `A-Z a-z 0-9 - _`: no `$` for compose to interpolate,
 * no `#` for a `.env` parser to take as a comment, nothing to escape in a database URL.
 */
export function generateSecret(kind: SecretKind): string {
  switch (kind) {
    case 'django-secret-key':
      // 48 bytes -> 64 characters; Django's W009 wants at least 50 characters and 5 distinct ones.
      return randomBytes(48).toString('base64url');
    case 'password':
      return randomBytes(32).toString('base64url');
  }
}
