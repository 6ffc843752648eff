package io.backup4j.testkit.redis;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A small blocking RESP2 client for tests. Replies are {@link String} (status), {@link Long}, {@code byte[]}
 * (bulk; {@code null} for a nil reply) or {@link List}; an error reply throws {@link RedisError}.
 */
public final class RedisTestClient implements AutoCloseable {
  /** An error reply from the server. */
  public static final class RedisError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RedisError(String message) {
      super(message);
    }
  }

  private final Socket socket;
  private final BufferedInputStream in;
  private final OutputStream out;

  /** Connects to {@code host:port} without authenticating. */
  public RedisTestClient(String host, int port) {
    try {
      socket = new Socket();
      socket.connect(new InetSocketAddress(host, port), 10_000);
      socket.setSoTimeout(60_000);
      in = new BufferedInputStream(socket.getInputStream());
      out = new BufferedOutputStream(socket.getOutputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends a command; arguments are {@code byte[]} or anything whose {@code toString()} is the argument. */
  public @Nullable Object call(Object... args) {
    try {
      out.write(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (Object a : args) {
        byte[] b = a instanceof byte[] bytes ? bytes : String.valueOf(a).getBytes(StandardCharsets.UTF_8);
        out.write(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.write(new byte[] {'\r', '\n'});
      }
      out.flush();
      return read();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #call} for commands answering a bulk or status string, as UTF-8 text ({@code null} for nil). */
  public @Nullable String string(Object... args) {
    Object r = call(args);
    return r == null ? null : r instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : r.toString();
  }

  /** {@link #call} for commands answering an integer. */
  public long integer(Object... args) {
    return (Long) java.util.Objects.requireNonNull(call(args));
  }

  /** {@link #call} for commands answering an array. */
  @SuppressWarnings("unchecked")
  public List<@Nullable Object> list(Object... args) {
    return (List<@Nullable Object>) java.util.Objects.requireNonNull(call(args));
  }

  private @Nullable Object read() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("connection closed");
    }
    String line = line();
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new RedisError(line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        byte[] b = in.readNBytes(n);
        in.readNBytes(2);
        return b;
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<@Nullable Object> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          try {
            items.add(read());
          } catch (RedisError e) {
            items.add(e);
          }
        }
        return items;
      }
      default:
        throw new IOException("unexpected reply type " + (char) type);
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new EOFException("connection closed");
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do for a test client
    }
  }
}
