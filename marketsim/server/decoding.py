"""Undecodable requests get INVALID_ARGUMENT, not grpc's UNKNOWN with a Python traceback text.

grpc decodes each request with the method's deserializer before any handler runs, and reports
a failure as UNKNOWN "Unexpected <class 'DecodeError'>: ...". This interceptor takes the
decoding over: the handler receives raw bytes, decodes them itself, and aborts with
INVALID_ARGUMENT and a plain message when they are not a valid message.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError


class MalformedRequestInterceptor(grpc.aio.ServerInterceptor):
    """Decode requests inside the handler so bad bytes become INVALID_ARGUMENT."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        decode = handler.request_deserializer

        async def decoded(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
            try:
                return decode(raw)
            except DecodeError:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"malformed {method} request: the bytes are not a valid protobuf message",
                )

        async def decoded_stream(raws: AsyncIterator[bytes], context) -> AsyncIterator[Any]:
            async for raw in raws:
                yield await decoded(raw, context)

        serializer = handler.response_serializer
        if handler.unary_unary:
            behavior = handler.unary_unary

            async def unary_unary(raw, context):
                return await behavior(await decoded(raw, context), context)

            return grpc.unary_unary_rpc_method_handler(unary_unary, None, serializer)
        if handler.unary_stream and not inspect.isasyncgenfunction(handler.unary_stream):
            # A coroutine that writes its responses with context.write (e.g. Health/Watch).
            behavior = handler.unary_stream

            async def unary_stream_writer(raw, context):
                return await behavior(await decoded(raw, context), context)

            return grpc.unary_stream_rpc_method_handler(unary_stream_writer, None, serializer)
        if handler.unary_stream:
            behavior = handler.unary_stream

            async def unary_stream(raw, context):
                async for response in behavior(await decoded(raw, context), context):
                    yield response

            return grpc.unary_stream_rpc_method_handler(unary_stream, None, serializer)
        if handler.stream_unary:
            behavior = handler.stream_unary

            async def stream_unary(raws, context):
                return await behavior(decoded_stream(raws, context), context)

            return grpc.stream_unary_rpc_method_handler(stream_unary, None, serializer)
        behavior = handler.stream_stream

        async def stream_stream(raws, context):
            async for response in behavior(decoded_stream(raws, context), context):
                yield response

        return grpc.stream_stream_rpc_method_handler(stream_stream, None, serializer)
