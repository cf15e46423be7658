"""Files in the scaled configuration: S3-compatible object storage that never replaces an object.

Every file the platform keeps (uploads, generated pictures, exports, version files, certificates) is
written once. On a local disk Django's FileSystemStorage already guarantees this (it opens new files with
O_EXCL and moves to a free name when one exists). `WriteOnceS3Storage` gives the same guarantee on S3:
each write is a conditional PUT (`If-None-Match: *`), so even two processes racing for one key cannot
overwrite each other: the second is refused by the server and stores its file under a free name beside
it. Content-addressed names (`blobs/…/<sha256>…`) make such a duplicate harmless: it holds the same bytes.

The store must honour conditional writes (AWS S3, SeaweedFS, MinIO and Ceph RGW do). Downloads are
never handed out as bucket links: every view streams the file after its permission check (the bucket
needs no public access at all); signed links (`url()`), used nowhere in the pages, expire after
AIGC_S3_URL_SECONDS.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ClientError
from django.core.files.base import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# Statuses a store answers a conditional PUT with when the key exists (412) or is being written by
# another request at this moment (409).
_KEY_TAKEN = {409, 412}
_MAX_NAME_TRIES = 20


class WriteOnceS3Storage(S3Storage):
    """S3Storage whose writes never replace an existing object."""

    def __init__(self, **settings: Any) -> None:
        settings["file_overwrite"] = False
        super().__init__(**settings)

    def _save(self, name: str, content: File) -> str:
        for _attempt in range(_MAX_NAME_TRIES):
            try:
                return self._put_if_absent(name, content)
            except FileExistsError:
                name = self.get_available_name(name)  # the key exists: a random suffix, as Django does
        raise FileExistsError(f"no free name found for {name!r} after {_MAX_NAME_TRIES} tries")

    def _put_if_absent(self, name: str, content: File) -> str:
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        params = self._get_write_parameters(key, content)
        if hasattr(content, "seek"):
            content.seek(0, os.SEEK_SET)
        data = content.read()  # files here are bounded by the upload and export limits
        body = data.encode() if isinstance(data, str) else data
        try:
            self.connection.meta.client.put_object(
                Bucket=self.bucket_name, Key=key, Body=body, IfNoneMatch="*", **params
            )
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in _KEY_TAKEN:
                raise FileExistsError(key) from exc
            raise
        return cleaned
