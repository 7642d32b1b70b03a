// The vault as the configuration describes it: S3 when VAULT_S3_BUCKET is set, else files under
// DATA_DIR/vault; master keys from VAULT_KEYS or VAULT_KEY_FILE, else generated into
// DATA_DIR/vault-keys.json (the same shape and rotation as the payload keys: codec/keys.ts).
import { join } from 'node:path';
import type { AppConfig } from '../../config.ts';
import { loadKeyring, type KeyringNames } from '../../codec/keys.ts';
import type { Db } from '../../db/connect.ts';
import { s3Store } from './s3.ts';
import { fileStore, type ObjectStore } from './store.ts';
import { createVault, type Vault } from './vault.ts';

export const VAULT_KEYRING: KeyringNames = { keysEnv: 'VAULT_KEYS', fileEnv: 'VAULT_KEY_FILE', generatedFile: 'vault-keys.json', what: 'vault master keys' };

export function objectStoreFor(config: Pick<AppConfig, 'vault' | 'dataDir'>): ObjectStore {
  const s3 = config.vault.s3;
  if (!s3) return fileStore(join(config.dataDir, 'vault'));
  return s3Store({
    bucket: s3.bucket,
    region: s3.region,
    // A server of our own (versitygw, MinIO) names buckets in the path, not the host.
    ...(s3.endpoint ? { endpoint: s3.endpoint, forcePathStyle: true } : {}),
    ...(s3.credentials ? { credentials: s3.credentials } : {}),
  });
}

export function openVault(config: Pick<AppConfig, 'vault' | 'dataDir'>, db: Db, env: NodeJS.ProcessEnv = process.env): Vault {
  return createVault({ db, keyring: loadKeyring(env, { generateIn: config.dataDir, names: VAULT_KEYRING }), store: objectStoreFor(config) });
}
