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

#[cfg(test)]
mod tests {
    use super::*;

    /// The chunks are read as one stream, whatever the reader's buffer size;
    /// the end comes when the sender is gone.
    #[test]
    fn chunks_read_as_one_stream() {
        let (sender, receiver) = mpsc::channel(2);
        let reader = std::thread::spawn(move || {
            let mut reader = ChunkReader {
                receiver,
                chunk: None::<Vec<u8>>,
                offset: 0,
            };
            let mut small = [0; 3];
            let mut text = Vec::new();
            loop {
                let n = reader.read(&mut small).unwrap();
                if n == 0 {
                    break;
                }
                text.extend_from_slice(&small[..n]);
            }
            text
        });
        for chunk in ["<a href=", "", "'x'>", "y</a>"] {
            sender.blocking_send(chunk.as_bytes().to_vec()).unwrap();
        }
        drop(sender);
        assert_eq!(reader.join().unwrap(), b"<a href='x'>y</a>");
    }

    /// A page is parsed from the chunks it arrives in.
    #[test]
    fn a_page_parses_across_chunks() {
        let (sender, receiver) = mpsc::channel(1);
        let parser = std::thread::spawn(move || {
            let reader = ChunkReader {
                receiver,
                chunk: None::<Vec<u8>>,
                offset: 0,
            };
            let base = Url::parse("http://127.0.0.1:1/simple/foo/").unwrap();
            crate::simple::parse_html(reader, &base)
        });
        let page = "<a href='foo-1.0-py3-none-any.whl#sha256=".to_string()
            + &"ab".repeat(32)
            + "'>foo</a><a href='foo-2.0.tar.gz'>foo</a>";
        for chunk in page.as_bytes().chunks(7) {
            sender.blocking_send(chunk.to_vec()).unwrap();
        }
        drop(sender);
        let files = parser.join().unwrap();
        let names: Vec<&str> = files.iter().map(|file| &*file.filename).collect();
        assert_eq!(names, ["foo-1.0-py3-none-any.whl", "foo-2.0.tar.gz"]);
        assert_eq!(files[0].hashes.len(), 1);
    }
}
