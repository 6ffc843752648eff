package io.backup4j.storage.local;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * A buffered stream into a file channel whose {@link #close()} flushes but leaves the channel open, so the writer can
 * still {@code fsync} and publish the file after the caller closed its stream chain (the engine closes the encoders
 * first, then commits).
 */
final class ChannelOutputStream extends OutputStream {
  private final FileChannel channel;
  private final ByteBuffer buffer;
  private boolean closed;
  private boolean sealed;

  ChannelOutputStream(FileChannel channel, int bufferSize) {
    this.channel = channel;
    this.buffer = ByteBuffer.allocate(bufferSize);
  }

  @Override
  public void write(int b) throws IOException {
    ensureOpen();
    if (!buffer.hasRemaining()) {
      drain();
    }
    buffer.put((byte) b);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    if (len >= buffer.capacity()) {
      // Large writes bypass the buffer; keep the order of bytes already buffered.
      drain();
      writeFully(ByteBuffer.wrap(b, off, len));
      return;
    }
    if (len > buffer.remaining()) {
      drain();
    }
    buffer.put(b, off, len);
  }

  @Override
  public void flush() throws IOException {
    if (closed) {
      return; // wrappers may flush again while closing; there is nothing left to write
    }
    drain();
  }

  /** Flushes and refuses further writes; the channel stays open. Idempotent. */
  @Override
  public void close() throws IOException {
    if (closed || sealed) {
      closed = true;
      return;
    }
    closed = true;
    drain();
  }

  /** Writes out what is buffered, whether or not the stream was closed; used by commit. */
  void flushToChannel() throws IOException {
    if (!sealed) {
      drain();
    }
  }

  /** Refuses any further write, without flushing: the writer was committed or aborted. */
  void seal() {
    sealed = true;
    closed = true;
    buffer.clear();
  }

  private void ensureOpen() throws IOException {
    if (sealed) {
      throw new IOException("the write was already committed or aborted; open a new writer");
    }
    if (closed) {
      throw new IOException("stream closed");
    }
  }

  private void drain() throws IOException {
    buffer.flip();
    writeFully(buffer);
    buffer.clear();
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }
}
