/**
 * The postgres image's variable for its data directory (initdb's, and the server's). Set where the image's
 * default will not do: on a fresh PersistentVolume, whose root holds lost+found, initdb refuses the mount itself.
 */
export const PGDATA = 'PGDATA';
