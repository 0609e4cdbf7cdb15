//! What the dashboard reads: the documents' derived index (`trygg_store`'s
//! tables in the documents file), kept current by [`keep_current`], which
//! also tells open dashboards when it took in new changes.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, params};
use tokio::sync::watch;
use trygg_core::model::{Action, ChecklistTemplate, Directory, Vocabulary, Walk};
use trygg_store::{GroupCommit, Store, StoreError};

use super::picture::Seen;

/// How often the index takes in what the engine left to the stale marks (a
/// write from elsewhere, a failed index write; a mark must stay unmoved for
/// a whole pass). What the engine changes it indexes itself, at most
/// `EngineConfig::index_every` late.
pub const INDEX_EVERY: Duration = Duration::from_millis(200);

/// A read connection to the index and the revision it has reached.
#[derive(Clone, Debug)]
pub struct IndexReader {
    conn: Arc<Mutex<Connection>>,
    changes: watch::Receiver<u64>,
    vocabularies: VocabularyCache,
}

/// Vocabulary documents read, by id, with the heads they were read at.
type VocabularyCache = Arc<Mutex<HashMap<String, (String, Arc<Vocabulary>)>>>;

/// Which observations.
#[derive(Clone, Debug)]
pub struct Filter {
    /// Observed at or after, milliseconds.
    pub from: i64,
    /// Observed before, milliseconds.
    pub to: i64,
    pub area: Option<String>,
    pub min_severity: u8,
    /// Read the notes of the person's own organisation's observations too
    /// (never another's: those are `None` whatever this says).
    pub notes: bool,
    pub exercises: Exercises,
}

/// Which observations of exercises (*övning*) a view takes: statistics,
/// the map and exports leave them out unless asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Exercises {
    /// Real work only.
    #[default]
    Exclude,
    /// Real work and exercises, each marked.
    Include,
    /// Exercises only.
    Only,
}

impl Exercises {
    /// From a query parameter: absent or empty is [`Exercises::Exclude`].
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.unwrap_or("") {
            "" | "exclude" => Ok(Self::Exclude),
            "include" => Ok(Self::Include),
            "only" => Ok(Self::Only),
            other => Err(format!(
                "exercises is exclude, include or only, not `{other}`"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exclude => "exclude",
            Self::Include => "include",
            Self::Only => "only",
        }
    }

    /// The `exercise` value rows must have, or `None` for either.
    fn required(self) -> Option<bool> {
        match self {
            Self::Exclude => Some(false),
            Self::Include => None,
            Self::Only => Some(true),
        }
    }
}

impl IndexReader {
    /// Opens a reader of the index in `documents`. The engine writes the
    /// rows of what it changes through `writer`; `store` (a writer of the
    /// same file) takes in what it leaves (see
    /// `trygg_store::keep_stale_index_current`). Both bump [`Self::changes`].
    pub fn start(documents: &Path, store: Store, writer: &GroupCommit) -> Result<Self, StoreError> {
        let conn = trygg_store::open_connection(documents)?;
        let (tx, rx) = watch::channel(0);
        let tx = Arc::new(tx);
        let bump = tx.clone();
        tokio::spawn(trygg_store::keep_stale_index_current(
            store,
            INDEX_EVERY,
            move |_| bump.send_modify(|n| *n += 1),
        ));
        let mut indexed = writer.indexed();
        tokio::spawn(async move {
            while indexed.changed().await.is_ok() {
                tx.send_modify(|n| *n += 1);
            }
        });
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            changes: rx,
            vocabularies: Arc::default(),
        })
    }

    /// The vocabulary the dashboard counts and names terms with: of the
    /// vocabulary documents stored, the one the devices pick too
    /// ([`Vocabulary::chosen`]), so a coordinator's new version (a renamed
    /// or deprecated term) holds from the next request on. A document is
    /// read again only when its heads moved. With none stored yet (no
    /// device has set one up), the built-in first version the devices start
    /// from ([`trygg_core::seed::vocabulary`]).
    pub async fn vocabulary(&self) -> anyhow::Result<Arc<Vocabulary>> {
        Ok(self.chosen_vocabulary().await?.1)
    }

    /// [`Self::vocabulary`] and the id of the document it was read from
    /// (`None` for the built-in first version, when none is stored).
    pub async fn chosen_vocabulary(
        &self,
    ) -> anyhow::Result<(Option<trygg_core::DocId>, Arc<Vocabulary>)> {
        let conn = self.conn.clone();
        let cache = self.vocabularies.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, heads FROM documents WHERE kind = ?1 AND error IS NULL",
            )?;
            let stored: Vec<(String, String)> = stmt
                .query_map([trygg_core::DocKind::Vocabulary.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<_, _>>()?;
            let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.retain(|id, _| stored.iter().any(|(s, _)| s == id));
            for (id, heads) in stored {
                if cache.get(&id).is_some_and(|(h, _)| *h == heads) {
                    continue;
                }
                let doc_id: trygg_core::DocId = id.parse()?;
                let Some(doc) = trygg_store::chunks::load_doc(&conn, &doc_id)? else {
                    continue; // indexed, then forgotten
                };
                let vocabulary: Vocabulary = trygg_core::document::read(&doc)?;
                cache.insert(id, (heads, Arc::new(vocabulary)));
            }
            let chosen = Vocabulary::chosen(cache.iter().map(|(id, (_, v))| (id, v.clone())));
            let Some(chosen) = chosen else {
                return anyhow::Ok((None, Arc::new(trygg_core::seed::vocabulary())));
            };
            let id = cache
                .iter()
                .find(|(_, (_, v))| Arc::ptr_eq(v, &chosen))
                .map(|(id, _)| id.parse())
                .transpose()?;
            anyhow::Ok((id, chosen))
        })
        .await?
    }

    /// Every readable checklist template document, with its id, in id
    /// order. Templates are few (a handful per organisation) and read whole.
    pub async fn templates(&self) -> anyhow::Result<Vec<(trygg_core::DocId, ChecklistTemplate)>> {
        self.all_of_kind().await
    }

    /// Every readable directory document (one per deployment, as a rule).
    pub async fn directories(&self) -> anyhow::Result<Vec<(trygg_core::DocId, Directory)>> {
        self.all_of_kind().await
    }

    /// Every indexed, readable document of `T`'s kind, in id order.
    async fn all_of_kind<T: trygg_core::DocumentSchema + Send + 'static>(
        &self,
    ) -> anyhow::Result<Vec<(trygg_core::DocId, T)>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id FROM documents WHERE kind = ?1 AND error IS NULL ORDER BY doc_id",
            )?;
            let ids: Vec<String> = stmt
                .query_map([T::KIND.as_str()], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let doc_id: trygg_core::DocId = id.parse()?;
                let Some(doc) = trygg_store::chunks::load_doc(&conn, &doc_id)? else {
                    continue; // indexed, then forgotten
                };
                out.push((doc_id, trygg_core::document::read(&doc)?));
            }
            anyhow::Ok(out)
        })
        .await?
    }

    /// A document as stored (for its history); `None` when it has no chunks.
    pub async fn stored_document(
        &self,
        id: trygg_core::DocId,
    ) -> anyhow::Result<Option<automerge::Automerge>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let doc = trygg_store::chunks::load_doc(&conn, &id)?;
            anyhow::Ok(doc.map(|mut d| d.document().clone()))
        })
        .await?
    }

    /// Waits until the index holds document `doc` at a state that includes
    /// the change `change` among its heads; `false` at `timeout`.
    pub async fn wait_for_head(
        &self,
        doc: trygg_core::DocId,
        change: automerge::ChangeHash,
        timeout: Duration,
    ) -> anyhow::Result<bool> {
        let deadline = tokio::time::Instant::now() + timeout;
        let want = change.to_string();
        loop {
            let conn = self.conn.clone();
            let (doc_id, want) = (doc.to_string(), want.clone());
            let indexed = tokio::task::spawn_blocking(move || {
                let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                let mut stmt =
                    conn.prepare_cached("SELECT heads FROM documents WHERE doc_id = ?1")?;
                let mut rows = stmt.query(params![doc_id])?;
                let heads: Option<String> = match rows.next()? {
                    Some(r) => Some(r.get(0)?),
                    None => None,
                };
                anyhow::Ok(heads.is_some_and(|h| h.split(',').any(|h| h == want)))
            })
            .await??;
            if indexed {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Bumps whenever the index took in new changes.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.clone()
    }

    /// The observations that `filter` selects, in documents among
    /// `readable` (each with whether another organisation owns it).
    pub async fn observations(
        &self,
        filter: Filter,
        readable: HashMap<String, bool>,
    ) -> anyhow::Result<Vec<Seen>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, category, severity, area, place_id, observed_at, lat, lon,
                        CASE WHEN ?5 THEN note END, exercise
                 FROM observations
                 WHERE observed_at >= ?1 AND observed_at < ?2 AND severity >= ?3
                   AND (?4 IS NULL OR area = ?4) AND (?6 IS NULL OR exercise = ?6)",
            )?;
            let mut out = Vec::new();
            let mut rows = stmt.query(params![
                filter.from,
                filter.to,
                filter.min_severity,
                filter.area,
                filter.notes,
                filter.exercises.required()
            ])?;
            while let Some(r) = rows.next()? {
                let doc: String = r.get(0)?;
                let Some(partner) = readable.get(&doc) else {
                    continue;
                };
                out.push(Seen {
                    partner: *partner,
                    category: r.get(1)?,
                    severity: r.get(2)?,
                    area: r.get(3)?,
                    place_id: r.get(4)?,
                    observed_at: r.get(5)?,
                    lat: r.get(6)?,
                    lon: r.get(7)?,
                    note: if *partner { None } else { r.get(8)? },
                    exercise: r.get(9)?,
                });
            }
            anyhow::Ok(out)
        })
        .await?
    }
}

/// An open action as the index has it, with the route of the walk it came
/// from (none for a report's).
#[derive(Clone, Debug, PartialEq)]
pub struct OpenAction {
    pub doc_id: String,
    pub responsible_org: String,
    pub area: String,
    pub status: String,
    pub due_date: Option<String>,
    pub description: String,
    pub source_doc: Option<String>,
    pub source_route: Option<String>,
}

impl IndexReader {
    /// The open actions in documents among `readable`, in one district or all.
    pub async fn open_actions(
        &self,
        area: Option<String>,
        readable: HashSet<String>,
    ) -> anyhow::Result<Vec<OpenAction>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let mut stmt = conn.prepare_cached(
                "SELECT a.doc_id, a.responsible_org, a.area, a.status, a.due_date,
                        a.description, a.source_doc, w.route_name
                 FROM actions a LEFT JOIN walks w ON w.doc_id = a.source_doc
                 WHERE a.is_open = 1 AND (?1 IS NULL OR a.area = ?1)",
            )?;
            let mut out = Vec::new();
            let mut rows = stmt.query(params![area])?;
            while let Some(r) = rows.next()? {
                let doc_id: String = r.get(0)?;
                if !readable.contains(&doc_id) {
                    continue;
                }
                out.push(OpenAction {
                    doc_id,
                    responsible_org: r.get(1)?,
                    area: r.get(2)?,
                    status: r.get(3)?,
                    due_date: r.get(4)?,
                    description: r.get(5)?,
                    source_doc: r.get(6)?,
                    source_route: r.get(7)?,
                });
            }
            anyhow::Ok(out)
        })
        .await?
    }
}

impl IndexReader {
    /// Waits until the index has action `doc` at `status` (the indexer takes
    /// in a stored change within [`INDEX_EVERY`] and its own time), so that
    /// a page asking right after a change sees it; `false` after `timeout`
    /// (the page then hears of it live).
    pub async fn wait_for_action_status(
        &self,
        doc: &str,
        status: &str,
        timeout: Duration,
    ) -> anyhow::Result<bool> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let conn = self.conn.clone();
            let (doc_id, want) = (doc.to_string(), status.to_string());
            let indexed = tokio::task::spawn_blocking(move || {
                let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                let mut stmt =
                    conn.prepare_cached("SELECT status FROM actions WHERE doc_id = ?1")?;
                let mut rows = stmt.query(params![doc_id])?;
                let status: Option<String> = match rows.next()? {
                    Some(r) => Some(r.get(0)?),
                    None => None,
                };
                anyhow::Ok(status.as_deref() == Some(want.as_str()))
            })
            .await??;
            if indexed {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A walk as the index lists it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WalkRow {
    pub doc_id: String,
    pub area: String,
    pub route: String,
    pub status: String,
    /// Milliseconds; the walk's start, else when it is planned for, else
    /// when it was created.
    pub at: i64,
    pub observations: u32,
    pub exercise: bool,
}

/// A walk marked as an exercise, as the index has it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExerciseRow {
    pub doc_id: String,
    pub area: String,
    pub template_id: String,
    pub version: u32,
    /// Milliseconds; the walk's start, else when it was created.
    pub at: i64,
}

/// The most walks one list holds.
pub const MAX_WALKS: usize = 200;

impl IndexReader {
    /// The walks among `readable`, in one district or all, newest first
    /// (at most [`MAX_WALKS`]).
    pub async fn walks(
        &self,
        area: Option<String>,
        readable: HashSet<String>,
    ) -> anyhow::Result<Vec<WalkRow>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, area, route_name, status,
                        COALESCE(started_at, planned_at, created_at), observation_count, exercise
                 FROM walks WHERE (?1 IS NULL OR area = ?1)
                 ORDER BY COALESCE(started_at, planned_at, created_at) DESC, doc_id",
            )?;
            let mut out = Vec::new();
            let mut rows = stmt.query(params![area])?;
            while let Some(r) = rows.next()? {
                let doc_id: String = r.get(0)?;
                if !readable.contains(&doc_id) {
                    continue;
                }
                out.push(WalkRow {
                    doc_id,
                    area: r.get(1)?,
                    route: r.get(2)?,
                    status: r.get(3)?,
                    at: r.get(4)?,
                    observations: r.get(5)?,
                    exercise: r.get(6)?,
                });
                if out.len() == MAX_WALKS {
                    break;
                }
            }
            anyhow::Ok(out)
        })
        .await?
    }

    /// The exercises (*övning*) among `readable`: every walk marked as one,
    /// with the template version it followed, newest first.
    pub async fn exercise_walks(
        &self,
        readable: HashSet<String>,
    ) -> anyhow::Result<Vec<ExerciseRow>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, area, template_id, template_version,
                        COALESCE(started_at, created_at)
                 FROM walks WHERE exercise = 1
                 ORDER BY COALESCE(started_at, created_at) DESC, doc_id",
            )?;
            let mut out = Vec::new();
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let doc_id: String = r.get(0)?;
                if readable.contains(&doc_id) {
                    out.push(ExerciseRow {
                        doc_id,
                        area: r.get(1)?,
                        template_id: r.get(2)?,
                        version: r.get(3)?,
                        at: r.get(4)?,
                    });
                }
            }
            anyhow::Ok(out)
        })
        .await?
    }

    /// The newest walk among `readable` in `area` on `route` (by
    /// [`same_route`]) that started (else was created) before `before`.
    pub async fn previous_walk(
        &self,
        area: String,
        route: String,
        before: i64,
        readable: HashSet<String>,
    ) -> anyhow::Result<Option<String>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, route_name FROM walks
                 WHERE area = ?1 AND COALESCE(started_at, created_at) < ?2
                 ORDER BY COALESCE(started_at, created_at) DESC, doc_id",
            )?;
            let mut rows = stmt.query(params![area, before])?;
            while let Some(r) = rows.next()? {
                let doc_id: String = r.get(0)?;
                let name: String = r.get(1)?;
                if same_route(&name, &route) && readable.contains(&doc_id) {
                    return Ok(Some(doc_id));
                }
            }
            anyhow::Ok(None)
        })
        .await?
    }

    /// The walk document `walk`; `None` when there is none or it is another
    /// kind of document.
    pub async fn walk(&self, walk: trygg_core::DocId) -> anyhow::Result<Option<Walk>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            read_walk(&conn, &walk)
        })
        .await?
    }

    /// Walk `walk` and the actions proposed from it that are among
    /// `readable`, read from the stored documents; none when the walk is
    /// not stored here or the document is not a walk.
    pub async fn walk_with_actions(
        &self,
        walk: trygg_core::DocId,
        readable: HashSet<String>,
    ) -> anyhow::Result<Option<(Walk, Vec<(String, Action)>)>> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let Some(walk_value) = read_walk(&conn, &walk)? else {
                return Ok(None);
            };
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id FROM actions WHERE source_doc = ?1 ORDER BY created_at, doc_id",
            )?;
            let ids: Vec<String> = stmt
                .query_map(params![walk.to_string()], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut actions = Vec::new();
            for id in ids.into_iter().filter(|id| readable.contains(id)) {
                let doc_id: trygg_core::DocId = id.parse()?;
                let Some(doc) = trygg_store::chunks::load_doc(&conn, &doc_id)? else {
                    continue; // indexed, then forgotten by retention
                };
                actions.push((id, trygg_core::document::read::<Action, _>(&doc)?));
            }
            anyhow::Ok(Some((walk_value, actions)))
        })
        .await?
    }
}

fn read_walk(conn: &Connection, walk: &trygg_core::DocId) -> anyhow::Result<Option<Walk>> {
    let Some(doc) = trygg_store::chunks::load_doc(conn, walk)? else {
        return Ok(None);
    };
    // Another kind of document is no walk: the same answer as none.
    match trygg_core::document::read(&doc) {
        Err(trygg_core::DocError::WrongKind { .. }) => Ok(None),
        read => Ok(Some(read?)),
    }
}

/// Two route names name the same route: equal but for case and spaces.
pub fn same_route(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}
