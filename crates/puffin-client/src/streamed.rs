//! An index page's body handed to its parser as it arrives: the parser runs
//! on a blocking thread and reads the decompressed chunks through
//! [`ChunkReader`], so the page's text is never held whole (a 100 MB page
//! costs the parser a few chunks), and the size limit is enforced on the way.

use std::io::Read;

use futures::StreamExt;
use tokio::sync::mpsc;
use url::Url;

use crate::ClientError;
use crate::auth::redact;

/// How many chunks may wait for the parser: enough to keep the connection
/// busy while it works, few enough to hold little.
const QUEUED_CHUNKS: usize = 16;

/// Run `parse` over the body of `response`, decompressed, as it arrives;
/// fails once the body is longer than `limit` bytes (a hostile page of NUL
/// bytes compresses a thousandfold), or when the body breaks off. The parser
/// then sees the end of its input early, and what it made of it is dropped.
pub(crate) async fn parse_body<T: Send + 'static>(
    response: reqwest::Response,
    url: &Url,
    limit: u64,
    parse: impl FnOnce(&mut dyn Read) -> T + Send + 'static,
) -> Result<T, ClientError> {
    let (sender, receiver) = mpsc::channel(QUEUED_CHUNKS);
    let parser = tokio::task::spawn_blocking(move || {
        let mut reader = ChunkReader {
            receiver,
            chunk: None,
            offset: 0,
        };
        parse(&mut reader)
    });
    let mut stream = response.bytes_stream();
    let mut read: u64 = 0;
    let outcome = loop {
        let Some(chunk) = stream.next().await else {
            break Ok(());
        };
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                break Err(ClientError::Request {
                    url: redact(url),
                    err: err.without_url(),
                });
            }
        };
        read = read.saturating_add(chunk.len() as u64);
        if read > limit {
            break Err(ClientError::PageTooLarge {
                url: redact(url),
                limit,
            });
        }
        // A parser that stopped (a JSON syntax error) needs no more.
        if sender.send(chunk).await.is_err() {
            break Ok(());
        }
    };
    drop(sender);
    let parsed = parser
        .await
        .map_err(|err| ClientError::Io(std::io::Error::other(err)))?;
    outcome.map(|()| parsed)
}

/// Reads the chunks that [`parse_body`] sends; the end of the input is when
/// no more will come.
struct ChunkReader<B> {
    receiver: mpsc::Receiver<B>,
    /// The chunk being read, and how much of it was.
    chunk: Option<B>,
    offset: usize,
}

impl<B: AsRef<[u8]>> Read for ChunkReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let rest = self
                .chunk
                .as_ref()
                .map_or(&[][..], |chunk| &chunk.as_ref()[self.offset..]);
            if !rest.is_empty() || buf.is_empty() {
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                self.offset += n;
                return Ok(n);
            }
            match self.receiver.blocking_recv() {
                Some(chunk) => {
                    self.chunk = Some(chunk);
                    self.offset = 0;
                }
                None => return Ok(0),
            }
        }
    }
}
