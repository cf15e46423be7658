"""Tiny but well-formed MP4 and WebM containers, written box by box and element by element from the
specifications (ISO/IEC 14496-12, the Matroska/WebM element table), for the video checks' tests."""

from __future__ import annotations

import struct


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4(seconds: float, *, timescale: int = 1000, version: int = 0, brand: bytes = b"isom", video: bool = True,
        fragmented: bool = False, padding: int = 0) -> bytes:
    duration = round(seconds * timescale)
    if version == 1:
        mvhd = bytes([1, 0, 0, 0]) + struct.pack(">QQIQ", 0, 0, timescale, 0 if fragmented else duration)
    else:
        mvhd = bytes(4) + struct.pack(">IIII", 0, 0, timescale, 0 if fragmented else duration)
    mvhd += bytes(80)  # rate, volume, matrix, next track id: not read
    handler = b"vide" if video else b"soun"
    hdlr = bytes(4) + bytes(4) + handler + bytes(12) + b"VideoHandler\0"
    trak = box(b"trak", box(b"tkhd", bytes(84)) + box(b"mdia", box(b"mdhd", bytes(24)) + box(b"hdlr", hdlr)))
    moov_children = box(b"mvhd", mvhd) + trak
    if fragmented:
        moov_children += box(b"mvex", box(b"mehd", bytes(4) + struct.pack(">I", duration)))
    ftyp = box(b"ftyp", brand + struct.pack(">I", 512) + brand + b"mp41")
    return ftyp + box(b"moov", moov_children) + box(b"mdat", bytes(padding))


def _vint_size(n: int) -> bytes:
    return bytes([0x01]) + n.to_bytes(7, "big")  # an 8-byte size: room for any length


def element(element_id: int, payload: bytes, *, unknown_size: bool = False) -> bytes:
    ident = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    size = bytes([0x01]) + b"\xff" * 7 if unknown_size else _vint_size(len(payload))
    return ident + size + payload


def webm(seconds: float | None, *, scale: int = 1_000_000, doc_type: bytes = b"webm", video: bool = True,
         float_bytes: int = 8, unknown_segment: bool = False) -> bytes:
    header = element(0x1A45DFA3, element(0x4286, b"\x01") + element(0x4282, doc_type))
    info = element(0x2AD7B1, scale.to_bytes(3, "big"))
    if seconds is not None:
        ticks = seconds * 1e9 / scale
        info += element(0x4489, struct.pack(">d" if float_bytes == 8 else ">f", ticks))
    tracks = element(0x1654AE6B, element(0xAE, element(0xD7, b"\x01") + element(0x83, b"\x01" if video else b"\x02")))
    cluster = element(0x1F43B675, element(0xE7, b"\x00") + element(0xA3, bytes(32)))
    segment = element(0x18538067, element(0x1549A966, info) + tracks + cluster, unknown_size=unknown_segment)
    return header + segment
