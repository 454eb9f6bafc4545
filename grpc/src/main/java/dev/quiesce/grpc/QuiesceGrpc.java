package dev.quiesce.grpc;

/** Placeholder. */
public final class QuiesceGrpc {
    private QuiesceGrpc() {}
}
