//! Encryption at rest: AES-256-GCM with a key id, so keys rotate — new data
//! is sealed with the current key, and data sealed with an old key still opens.
//!
//! A sealed value is `v1.<kid>.<nonce>.<ciphertext>` (base64url parts). The
//! additional data binds it to its row (namespace and key), so a ciphertext
//! copied into another session's row does not open.

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::{collections::HashMap, fmt, path::Path, sync::Arc};

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Sealed with a key we no longer have.
    #[error("sealed with unknown key id {0}")]
    UnknownKey(String),
    /// Tampered with, bound to another row, or not ours.
    #[error("sealed value does not open")]
    Corrupt,
}

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("session key: {0}")]
pub struct KeyError(pub String);

/// The current key and the old ones still accepted.
#[derive(Clone)]
pub struct Keyring {
    current: String,
    // Shared, not copied, when the state is cloned per request.
    ciphers: Arc<HashMap<String, Aes256Gcm>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("keys", &self.ciphers.len())
            .finish()
    }
}

impl Keyring {
    /// A keyring from raw 32-byte keys: `current` first, then old ones.
    pub fn new(current: [u8; 32], old: &[[u8; 32]]) -> Self {
        let mut ciphers = HashMap::new();
        for key in old {
            ciphers.insert(key_id(key), cipher(key));
        }
        let id = key_id(&current);
        ciphers.insert(id.clone(), cipher(&current));
        Self {
            current: id,
            ciphers: Arc::new(ciphers),
        }
    }

    /// A throw-away key for stores that do not outlive the process.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::new(key, &[])
    }

    /// Keys from `KEYHOLE_SESSION_KEY` (current) and `KEYHOLE_SESSION_OLD_KEYS`
    /// (comma-separated), each 32 bytes in base64 (standard or URL-safe).
    /// `None` when no current key is set.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, KeyError> {
        let Some(current) = env("KEYHOLE_SESSION_KEY").filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        let current = decode_key(&current, "KEYHOLE_SESSION_KEY")?;
        let mut old = Vec::new();
        if let Some(list) = env("KEYHOLE_SESSION_OLD_KEYS") {
            for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                old.push(decode_key(part, "KEYHOLE_SESSION_OLD_KEYS")?);
            }
        }
        Ok(Some(Self::new(current, &old)))
    }

    /// The key in `path`, created with mode 0600 on first use (the embedded
    /// default: one instance, no configuration).
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self::new(
                decode_key(&text, &path.display().to_string())?,
                &[],
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_private(path, &URL_SAFE_NO_PAD.encode(key))
                    .map_err(|e| KeyError(format!("cannot create {}: {e}", path.display())))?;
                tracing::info!(path = %path.display(), "generated a new session key");
                Ok(Self::new(key, &[]))
            }
            Err(e) => Err(KeyError(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Seals `plaintext` for the row named by `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let cipher = &self.ciphers[&self.current];
        // Encryption with a valid key and nonce cannot fail for inputs this size.
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .unwrap_or_default();
        format!(
            "v1.{}.{}.{}",
            self.current,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ciphertext)
        )
    }

    /// Opens a value sealed by [`Keyring::seal`] for the same `aad`.
    pub fn open(&self, sealed: &str, aad: &str) -> Result<Vec<u8>, SealError> {
        let mut parts = sealed.split('.');
        let (Some("v1"), Some(kid), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(SealError::Corrupt);
        };
        let cipher = self
            .ciphers
            .get(kid)
            .ok_or_else(|| SealError::UnknownKey(kid.to_owned()))?;
        let nonce = URL_SAFE_NO_PAD
            .decode(nonce)
            .ok()
            .filter(|n| n.len() == 12)
            .ok_or(SealError::Corrupt)?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| SealError::Corrupt)?;
        cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SealError::Corrupt)
    }
}

fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(key.into())
}

/// A short public id of a key: the start of its SHA-256.
fn key_id(key: &[u8; 32]) -> String {
    let digest = Sha256::digest(key);
    URL_SAFE_NO_PAD.encode(&digest[..6])
}

fn decode_key(text: &str, source: &str) -> Result<[u8; 32], KeyError> {
    let text = text.trim();
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(text))
        .map_err(|_| KeyError(format!("{source}: not base64")))?;
    bytes.try_into().map_err(|_| {
        KeyError(format!(
            "{source}: must be 32 bytes (base64 of 32 random bytes)"
        ))
    })
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding_to_the_row() {
        let ring = Keyring::ephemeral();
        let sealed = ring.seal(b"refresh_abc", "connection:s1:p");
        assert!(!sealed.contains("refresh_abc"));
        assert_eq!(
            ring.open(&sealed, "connection:s1:p").unwrap(),
            b"refresh_abc"
        );
        assert!(matches!(
            ring.open(&sealed, "connection:s2:p"),
            Err(SealError::Corrupt)
        ));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open(&tampered, "connection:s1:p").is_err());
    }

    #[test]
    fn old_keys_still_open_after_rotation() {
        let old = [7u8; 32];
        let new = [9u8; 32];
        let sealed = Keyring::new(old, &[]).seal(b"x", "a");
        let rotated = Keyring::new(new, &[old]);
        assert_eq!(rotated.open(&sealed, "a").unwrap(), b"x");
        // New data uses the new key; without the old key, old data is refused.
        assert!(
            rotated
                .seal(b"y", "a")
                .starts_with(&format!("v1.{}.", key_id(&new)))
        );
        assert!(matches!(
            Keyring::new(new, &[]).open(&sealed, "a"),
            Err(SealError::UnknownKey(_))
        ));
    }

    #[test]
    fn env_keys_are_validated() {
        let good = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let env = |n: &str| (n == "KEYHOLE_SESSION_KEY").then(|| good.clone());
        assert!(Keyring::from_env(&env).unwrap().is_some());
        assert!(Keyring::from_env(&|_| None).unwrap().is_none());
        let short = |n: &str| (n == "KEYHOLE_SESSION_KEY").then(|| "c2hvcnQ".to_owned());
        assert!(Keyring::from_env(&short).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn generated_key_file_is_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("keyhole-seal-{}", std::process::id()));
        let path = dir.join("session.key");
        let _ = std::fs::remove_file(&path);
        let first = Keyring::from_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = first.seal(b"z", "a");
        let second = Keyring::from_file(&path).unwrap();
        assert_eq!(second.open(&sealed, "a").unwrap(), b"z");
        let _ = std::fs::remove_dir_all(dir);
    }
}
