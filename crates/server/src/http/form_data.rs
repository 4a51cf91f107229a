//! Multipart form bodies, handed to the parser with their opening boundary in one piece.
//!
//! The multipart parser (multer 3.1, behind axum's `Multipart`) answers "incomplete
//! multipart stream" for a valid body when the body's first chunk is shorter than the
//! opening boundary and the rest of the body arrives together with its end: it looks for
//! the boundary, polls once more, sees the end and gives up without looking again. A
//! client that sends the headers and the body in separate writes can meet this under
//! load (seen as a rare 400 on uploads). [`FormData`] therefore holds the body's first
//! bytes back until there are enough of them to hold an opening boundary (RFC 2046
//! limits a boundary to 70 characters), or the body ends, and after passing them on
//! pauses once (waking itself at once), so that the parser never receives them in the
//! same poll as the body's end.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::{Body, Bytes};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{FromRequest, Multipart, Request};
use futures::Stream;

/// Bytes held back before the first chunk is passed on: the opening `--`, a boundary of
/// the longest allowed length and its line break, with room to spare.
const OPENING: usize = 128;

/// A `multipart/form-data` body, read as [`Multipart`] (with the same body limit and
/// rejections).
pub struct FormData(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = MultipartRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let req = req.map(|body| Body::from_stream(OpeningWhole::new(body.into_data_stream())));
        Multipart::from_request(req, state).await.map(FormData)
    }
}

/// Passes a byte stream on unchanged, except that its first chunk is at least
/// [`OPENING`] bytes long (or the whole stream, if shorter).
struct OpeningWhole<St> {
    inner: St,
    /// The first bytes, while they are still being collected.
    first: Option<Vec<u8>>,
    /// The first chunk went out; the next poll pauses once.
    pause: bool,
    ended: bool,
}

impl<St> OpeningWhole<St> {
    fn new(inner: St) -> Self {
        Self {
            inner,
            first: Some(Vec::with_capacity(OPENING)),
            pause: false,
            ended: false,
        }
    }
}

impl<St, E> Stream for OpeningWhole<St>
where
    St: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.pause {
            this.pause = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if this.ended {
            return Poll::Ready(None);
        }
        let Some(first) = this.first.as_mut() else {
            let next = ready!(Pin::new(&mut this.inner).poll_next(cx));
            this.ended = next.is_none();
            return Poll::Ready(next);
        };
        loop {
            match ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                Some(Ok(chunk)) => {
                    first.extend_from_slice(&chunk);
                    if first.len() >= OPENING {
                        let whole = std::mem::take(first);
                        this.first = None;
                        this.pause = true;
                        return Poll::Ready(Some(Ok(Bytes::from(whole))));
                    }
                }
                Some(Err(e)) => {
                    this.first = None;
                    this.ended = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    this.ended = true;
                    let whole = std::mem::take(first);
                    this.first = None;
                    this.pause = !whole.is_empty();
                    return Poll::Ready((!whole.is_empty()).then(|| Ok(Bytes::from(whole))));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::header;

    use super::*;

    /// Yields its parts in turn; `None` is one `Pending` (with an immediate wake-up).
    struct Parts {
        parts: Vec<Option<&'static [u8]>>,
        next: usize,
    }

    impl Stream for Parts {
        type Item = Result<Bytes, std::io::Error>;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let i = self.next;
            self.next += 1;
            match self.parts.get(i) {
                Some(Some(b)) => Poll::Ready(Some(Ok(Bytes::from_static(b)))),
                Some(None) => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                None => Poll::Ready(None),
            }
        }
    }

    const BODY: &[u8] = b"--crashcheck0123456789abcdef01234567\r\n\
        Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n\
        hello\r\n--crashcheck0123456789abcdef01234567--\r\n";

    fn request(parts: Vec<Option<&'static [u8]>>) -> Request {
        Request::builder()
            .method("POST")
            .uri("/")
            .header(
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=crashcheck0123456789abcdef01234567",
            )
            .body(Body::from_stream(Parts { parts, next: 0 }))
            .unwrap()
    }

    async fn file_of(mp: &mut Multipart) -> Result<(String, Bytes), String> {
        let field = mp
            .next_field()
            .await
            .map_err(|e| e.body_text())?
            .ok_or("no field")?;
        let name = field.file_name().unwrap_or_default().to_string();
        let bytes = field.bytes().await.map_err(|e| e.body_text())?;
        match mp.next_field().await {
            Ok(None) => Ok((name, bytes)),
            Ok(Some(_)) => Err("another field".into()),
            Err(e) => Err(e.body_text()),
        }
    }

    /// A first chunk shorter than the boundary, a pause, then the rest with the end.
    fn split(at: usize) -> Vec<Option<&'static [u8]>> {
        vec![Some(&BODY[..at]), None, Some(&BODY[at..])]
    }

    #[tokio::test]
    async fn a_short_first_chunk_trips_the_bare_parser() {
        // Why the wrapper exists: if this starts passing, the parser was fixed.
        let req = request(split(5));
        let mut mp = Multipart::from_request(req, &()).await.unwrap();
        let got = file_of(&mut mp).await;
        assert_eq!(got, Err("incomplete multipart stream".to_string()));
    }

    #[tokio::test]
    async fn a_body_split_anywhere_is_read_whole() {
        for at in 0..=BODY.len() {
            let FormData(mut mp) = FormData::from_request(request(split(at)), &())
                .await
                .unwrap();
            let (name, bytes) = file_of(&mut mp)
                .await
                .unwrap_or_else(|e| panic!("{at}: {e}"));
            assert_eq!(
                (name.as_str(), &bytes[..]),
                ("a.txt", &b"hello"[..]),
                "{at}"
            );
        }
        // In many small chunks, too.
        let tiny: Vec<Option<&'static [u8]>> =
            BODY.chunks(3).flat_map(|c| [Some(c), None]).collect();
        let FormData(mut mp) = FormData::from_request(request(tiny), &()).await.unwrap();
        assert_eq!(
            file_of(&mut mp).await.unwrap().1,
            Bytes::from_static(b"hello")
        );
    }

    #[tokio::test]
    async fn errors_and_the_end_pass_through() {
        let failing = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"--ab")),
            Err(std::io::Error::other("connection reset")),
            Ok(Bytes::from_static(b"never seen")),
        ]);
        let got: Vec<_> = futures::StreamExt::collect::<Vec<_>>(OpeningWhole::new(failing)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_ref().unwrap_err().to_string(), "connection reset");

        let empty = futures::stream::iter(Vec::<Result<Bytes, std::io::Error>>::new());
        let got: Vec<_> = futures::StreamExt::collect::<Vec<_>>(OpeningWhole::new(empty)).await;
        assert!(got.is_empty());
    }
}
