import select
import time

import botocore.exceptions
import pytest


def expect_error(call, error_type, message=None, status=400, contains=None, **kwargs):
    """Calls `call(**kwargs)` and checks DynamoDB's error type, message and status."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == error_type, error
    if message is not None:
        assert error["Error"]["Message"] == message, error
    if contains is not None:
        assert contains in error["Error"]["Message"], error
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status, error
    return error


def hkey(pk):
    """A key of a table keyed by `pk` (S)."""
    return {"pk": {"S": pk}}


def rkey(pk, sk):
    """A key of a table keyed by `pk` (S) and `sk` (N)."""
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def closed_by_server(sock, wait):
    """Waits up to `wait` seconds for the server to close `sock`; returns
    whether it did (anything the server sent first is discarded)."""
    deadline = time.monotonic() + wait
    while True:
        readable, _, _ = select.select([sock], [], [], min(0.2, wait))
        if readable:
            try:
                if sock.recv(65536) == b"":
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
            # What the server sent before closing is drained first, past the
            # deadline too: the close may already be waiting behind it.
            continue
        if time.monotonic() >= deadline:
            return False
