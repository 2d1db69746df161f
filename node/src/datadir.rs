//! The node's data directory: configuration, keys, the local publish token and the store.
//!
//! ```text
//! DATA/
//!   mosaico.toml      configuration, commented, every option with its default
//!   node.key          the libp2p identity (protobuf encoding), owner-only
//!   publisher.key     the region's Ed25519 publishing key (hex), owner-only
//!   publisher.token   the local publish token for the CLI (hex), owner-only; its hash is in the store
//!   store/            the sled store
//!   node.addr         the HTTP address of the running node (written at start, removed at stop)
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use mosaico_protocol::{PublicKey, SecretKey};
use mosaico_web::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{RecordStore, SledStore, StoreError};

/// What can go wrong with a data directory.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// The directory already holds a node.
    #[error(
        "{0} already holds a mosaico node (mosaico.toml exists); choose another directory or remove it first"
    )]
    AlreadyInitialised(String),
    /// The directory holds no node.
    #[error(
        "{0} is not a mosaico data directory (no mosaico.toml); create one with `mosaico init --data {0} --name NAME`"
    )]
    NotInitialised(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file's content is wrong.
    #[error("{path}: {message}")]
    Invalid {
        /// Which file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The options in `mosaico.toml`. Every option can also be given on the command line or as a
/// `MOSAICO_*` environment variable, which win over the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The region's name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country: Option<String>,
    /// NUTS 2021 code.
    #[serde(default)]
    pub nuts: Option<String>,
    /// The genesis membership file.
    #[serde(default)]
    pub federation: Option<PathBuf>,
    /// libp2p listen addresses.
    #[serde(default)]
    pub listen: Vec<String>,
    /// HTTP listen address.
    #[serde(default)]
    pub http: Option<String>,
    /// Peers to connect to and keep connected.
    #[serde(default)]
    pub peers: Vec<String>,
    /// Log format: `human` or `json`.
    #[serde(default)]
    pub log_format: Option<String>,
    /// Seconds between periodic catch-up rounds with each peer.
    #[serde(default)]
    pub sync_interval_secs: Option<u64>,
    /// Most simultaneous connections.
    #[serde(default)]
    pub max_connections: Option<u32>,
    /// Origins allowed to read the API from a browser; none by default.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Writes one API token may make at once (default 30). Raise it, with
    /// `write_rate_per_minute`, on a node that runs bulk imports (a PSTW release is ~2,000 rows).
    #[serde(default)]
    pub write_burst: Option<u32>,
    /// Writes one API token regains per minute (default 60).
    #[serde(default)]
    pub write_rate_per_minute: Option<u32>,
}

/// Defaults, shown in the generated file and used when an option is absent.
pub mod defaults {
    /// libp2p listen address.
    pub const LISTEN: &str = "/ip4/0.0.0.0/tcp/7001";
    /// HTTP listen address: loopback only, put a reverse proxy in front to publish it.
    pub const HTTP: &str = "127.0.0.1:8080";
    /// Seconds between periodic catch-up rounds.
    pub const SYNC_INTERVAL_SECS: u64 = 60;
    /// Most simultaneous connections.
    pub const MAX_CONNECTIONS: u32 = 400;
}

/// A data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root` (not checked yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }
    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `mosaico.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("mosaico.toml")
    }
    /// The libp2p key file.
    pub fn node_key_path(&self) -> PathBuf {
        self.root.join("node.key")
    }
    /// The publishing key file.
    pub fn publisher_key_path(&self) -> PathBuf {
        self.root.join("publisher.key")
    }
    /// The local publish token file.
    pub fn token_path(&self) -> PathBuf {
        self.root.join("publisher.token")
    }
    /// The store directory.
    pub fn store_path(&self) -> PathBuf {
        self.root.join("store")
    }
    /// The running node's HTTP address file.
    pub fn addr_path(&self) -> PathBuf {
        self.root.join("node.addr")
    }

    /// Creates a new data directory: config, keys, local token, empty store. `random` supplies
    /// 96 random bytes (libp2p key, publishing key, token), so tests can make it deterministic.
    pub fn init(&self, config: &FileConfig, random: [u8; 96]) -> Result<Initialised, DataDirError> {
        if self.config_path().exists() {
            return Err(DataDirError::AlreadyInitialised(
                self.root.display().to_string(),
            ));
        }
        fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        restrict_dir(&self.root)?;
        let mut node_secret = [0u8; 32];
        node_secret.copy_from_slice(&random[..32]);
        let node_key = libp2p::identity::Keypair::ed25519_from_bytes(node_secret).map_err(|e| {
            DataDirError::Invalid {
                path: self.node_key_path(),
                message: e.to_string(),
            }
        })?;
        let encoded = node_key
            .to_protobuf_encoding()
            .map_err(|e| DataDirError::Invalid {
                path: self.node_key_path(),
                message: e.to_string(),
            })?;
        write_private(&self.node_key_path(), &encoded)?;
        let mut publisher = [0u8; 32];
        publisher.copy_from_slice(&random[32..64]);
        let publisher = SecretKey::from_bytes(publisher);
        write_private(
            &self.publisher_key_path(),
            format!("{}\n", publisher.to_hex()).as_bytes(),
        )?;
        let token = hex::encode(&random[64..96]);
        write_private(&self.token_path(), format!("{token}\n").as_bytes())?;
        let store = SledStore::open(&self.store_path())?;
        // The local token is the operator's own: it may also publish membership updates and
        // endorsements, which change who may publish in the whole federation.
        store.put_token(&token_hash(&token), Role::Admin)?;
        drop(store);
        write_private(&self.config_path(), render_config(config).as_bytes())?;
        Ok(Initialised {
            public_key: publisher.public_key(),
            peer_id: node_key.public().to_peer_id(),
        })
    }

    /// Reads `mosaico.toml`.
    pub fn config(&self) -> Result<FileConfig, DataDirError> {
        let path = self.config_path();
        if !path.exists() {
            return Err(DataDirError::NotInitialised(
                self.root.display().to_string(),
            ));
        }
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        toml::from_str(&text).map_err(|e| DataDirError::Invalid {
            path,
            message: e.to_string(),
        })
    }

    /// Reads the libp2p identity.
    pub fn node_key(&self) -> Result<libp2p::identity::Keypair, DataDirError> {
        let path = self.node_key_path();
        let bytes = fs::read(&path).map_err(io(&path))?;
        libp2p::identity::Keypair::from_protobuf_encoding(&bytes).map_err(|e| {
            DataDirError::Invalid {
                path,
                message: format!("not a libp2p key: {e}"),
            }
        })
    }

    /// Reads the publishing key.
    pub fn publisher_key(&self) -> Result<SecretKey, DataDirError> {
        let path = self.publisher_key_path();
        if !self.config_path().exists() {
            return Err(DataDirError::NotInitialised(
                self.root.display().to_string(),
            ));
        }
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        SecretKey::from_hex(&text).map_err(|e| DataDirError::Invalid {
            path,
            message: e.to_string(),
        })
    }

    /// Reads the local publish token.
    pub fn token(&self) -> Result<String, DataDirError> {
        let path = self.token_path();
        Ok(fs::read_to_string(&path)
            .map_err(io(&path))?
            .trim()
            .to_owned())
    }
}

/// What `init` created.
#[derive(Debug, Clone)]
pub struct Initialised {
    /// The region's publishing key.
    pub public_key: PublicKey,
    /// The node's libp2p peer id.
    pub peer_id: libp2p::PeerId,
}

/// The stored form of an API token: SHA-256 of its text. Tokens are 256 random bits, so a fast
/// hash is enough; a slow password hash would only slow every request.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), DataDirError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

fn restrict_dir(path: &Path) -> Result<(), DataDirError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(io(path))?;
    }
    Ok(())
}

fn toml_string(value: &str) -> String {
    // TOML basic strings share JSON's escapes for the characters that matter here.
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into())
}

/// The commented configuration file `init` writes.
pub fn render_config(config: &FileConfig) -> String {
    let optional = |name: &str, value: &Option<String>, example: &str| match value {
        Some(v) => format!("{name} = {}\n", toml_string(v)),
        None => format!("# {name} = \"{example}\"\n"),
    };
    format!(
        "# Mosaico node configuration. Command-line flags and MOSAICO_* environment variables\n\
         # override what is written here.\n\n\
         # The region's name, shown to every member of the federation.\n\
         name = {name}\n\
         # ISO 3166-1 alpha-2 country code and NUTS 2021 region code.\n\
         {country}{nuts}\n\
         # The federation's genesis membership file (MOSAICO_FEDERATION, --federation).\n\
         # federation = \"/etc/mosaico/federation.json\"\n\n\
         # libp2p listen addresses (MOSAICO_LISTEN, --listen). Default: [\"{listen}\"]\n\
         # listen = [\"{listen}\"]\n\n\
         # HTTP address for the API and web UI (MOSAICO_HTTP, --http). Default: \"{http}\"\n\
         # http = \"{http}\"\n\n\
         # Peers to connect to and keep connected (MOSAICO_PEER, --peer). Default: none.\n\
         # peers = [\"/dns4/mosaico.example.org/tcp/7001\"]\n\n\
         # Log format: \"human\" or \"json\" (MOSAICO_LOG_FORMAT, --log-format). Default: \"human\"\n\
         # log_format = \"human\"\n\n\
         # Seconds between catch-up rounds with each peer (MOSAICO_SYNC_INTERVAL). Default: {sync}\n\
         # sync_interval_secs = {sync}\n\n\
         # Most simultaneous libp2p connections (MOSAICO_MAX_CONNECTIONS). Default: {max}\n\
         # max_connections = {max}\n\n\
         # Origins allowed to read the API from a browser (MOSAICO_CORS_ORIGIN, --cors-origin).\n\
         # Default: none. Writes are never allowed cross-origin.\n\
         # cors_origins = [\"https://portal.example.org\"]\n",
        name = toml_string(&config.name),
        country = optional("country", &config.country, "IT"),
        nuts = optional("nuts", &config.nuts, "ITH5"),
        listen = defaults::LISTEN,
        http = defaults::HTTP,
        sync = defaults::SYNC_INTERVAL_SECS,
        max = defaults::MAX_CONNECTIONS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_creates_private_files_and_a_readable_config() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = DataDir::new(dir.path().join("er"));
        let config = FileConfig {
            name: "Emilia-Romagna".into(),
            country: Some("IT".into()),
            nuts: Some("ITH5".into()),
            ..FileConfig::default()
        };
        let made = data.init(&config, [7; 96]).expect("init");
        assert_eq!(data.config().expect("config"), config);
        assert_eq!(
            data.publisher_key().expect("key").public_key(),
            made.public_key
        );
        assert_eq!(
            data.node_key().expect("node key").public().to_peer_id(),
            made.peer_id
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for path in [
                data.node_key_path(),
                data.publisher_key_path(),
                data.token_path(),
            ] {
                let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", path.display());
            }
        }
        let again = data.init(&config, [8; 96]).expect_err("second init");
        assert!(again.to_string().contains("already holds a mosaico node"));
        assert_eq!(
            data.publisher_key().expect("key").public_key(),
            made.public_key,
            "unchanged"
        );
    }

    #[test]
    fn missing_data_dir_says_how_to_create_one() {
        let err = DataDir::new("/nonexistent/mosaico")
            .config()
            .expect_err("missing");
        assert!(err.to_string().contains("mosaico init --data"), "{err}");
    }
}
