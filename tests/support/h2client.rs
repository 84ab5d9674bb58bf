//! A minimal HTTP/2 client for the process tests, built on bicorn's own
//! frame layer and HPACK, so a test controls every frame it sends.
#![allow(unreachable_pub, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bicorn::h2::StreamId;
use bicorn::h2::conn::PREFACE;
use bicorn::h2::frame::{FrameHeader, FrameType, Headers, SettingsFrame};
use bicorn::hpack::{Decoder, DecoderLimits, Encoder, HeaderField};

/// A minimal HTTP/2 client over a real socket, speaking through bicorn's
/// frame layer and HPACK.
pub struct RawClient {
    /// Why the last `next_frame` returned None.
    pub last_error: Option<String>,
    pub sock: TcpStream,
    buf: Vec<u8>,
    enc: Encoder,
    pub dec: Decoder,
}

impl RawClient {
    pub fn connect(addr: &str) -> Self {
        Self::over(TcpStream::connect(addr).unwrap(), &[])
    }

    /// Start HTTP/2 on a socket that already carried HTTP/1.1 (after the
    /// 101 of an h2c upgrade): `already_read` is what the HTTP/1.1 reader
    /// took off the socket beyond the 101, the start of the server's
    /// frames.
    pub fn over(sock: TcpStream, already_read: &[u8]) -> Self {
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut c = Self {
            last_error: None,
            sock,
            buf: already_read.to_vec(),
            enc: Encoder::default(),
            dec: Decoder::new(4096, DecoderLimits::default()),
        };
        let mut b = PREFACE.to_vec();
        SettingsFrame::new(&[]).encode(&mut b);
        SettingsFrame::ack().encode(&mut b);
        c.sock.write_all(&b).unwrap();
        c
    }

    pub fn send(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let mut b = Vec::new();
        f(&mut b);
        self.sock.write_all(&b).unwrap();
    }

    pub fn post_head(&mut self, stream: u32) {
        let mut block = Vec::new();
        self.enc.encode(
            [
                HeaderField::new(b":method", b"POST"),
                HeaderField::new(b":scheme", b"http"),
                HeaderField::new(b":authority", b"test"),
                HeaderField::new(b":path", b"/slow"),
            ],
            &mut block,
        );
        self.send(|b| {
            Headers::new(StreamId::new(stream), &block)
                .end_headers()
                .encode(b)
        });
    }

    /// The next frame: (type, flags, stream, payload).
    pub fn next_frame(&mut self) -> Option<(FrameType, u8, u32, Vec<u8>)> {
        loop {
            if let Some(h) = FrameHeader::parse(&self.buf)
                && self.buf.len() >= h.frame_len()
            {
                let payload = self.buf[9..h.frame_len()].to_vec();
                self.buf.drain(..h.frame_len());
                return Some((h.kind(), h.flags().bits(), h.stream_id().value(), payload));
            }
            let mut chunk = [0u8; 16384];
            match self.sock.read(&mut chunk) {
                Ok(0) => {
                    self.last_error = Some("closed by the server (EOF)".into());
                    return None;
                }
                Err(e) => {
                    self.last_error = Some(format!("read error: {e}"));
                    return None;
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Frames until one of `kind` arrives.
    pub fn until(&mut self, kind: FrameType) -> (u8, u32, Vec<u8>) {
        while let Some((k, flags, stream, payload)) = self.next_frame() {
            if k == kind {
                return (flags, stream, payload);
            }
        }
        panic!("connection closed before a {kind:?} frame");
    }
}

impl RawClient {
    /// A GET on `stream` with END_STREAM.
    pub fn get(&mut self, stream: u32, path: &str) {
        assert!(self.try_get(stream, path), "write failed");
    }

    /// A GET that reports a failed write instead of panicking.
    pub fn try_get(&mut self, stream: u32, path: &str) -> bool {
        let mut block = Vec::new();
        self.enc.encode(
            [
                HeaderField::new(b":method", b"GET"),
                HeaderField::new(b":scheme", b"http"),
                HeaderField::new(b":authority", b"test"),
                HeaderField::new(b":path", path.as_bytes()),
            ],
            &mut block,
        );
        let mut b = Vec::new();
        Headers::new(StreamId::new(stream), &block)
            .end_headers()
            .end_stream()
            .encode(&mut b);
        self.try_send(&b)
    }

    /// Send without failing if the server already closed (an attack
    /// keeps sending after the GOAWAY).
    pub fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.sock.write_all(bytes).is_ok()
    }

    /// The error code of the first GOAWAY before the connection closes.
    pub fn goaway_code(&mut self) -> Option<u32> {
        let (_, _, p) = self.until_opt(FrameType::GOAWAY)?;
        Some(u32::from_be_bytes([p[4], p[5], p[6], p[7]]))
    }

    /// Frames until one of `kind` arrives, or None at close.
    pub fn until_opt(&mut self, kind: FrameType) -> Option<(u8, u32, Vec<u8>)> {
        while let Some((k, flags, stream, payload)) = self.next_frame() {
            if k == kind {
                return Some((flags, stream, payload));
            }
        }
        None
    }
}
