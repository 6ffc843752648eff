package io.backup4j.core;

import io.backup4j.api.BackupSink;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.WriteMode;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SinkProvider;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Scheme {@code mem:<name>}: repositories kept in {@link #REPOSITORIES} by name. Every open returns a new client
 * that, like a real storage client, fails every call (and every stream it handed out) once it is closed.
 */
public final class MemorySinkProvider implements SinkProvider {
  static final Map<String, MemorySink> REPOSITORIES = new ConcurrentHashMap<>();

  public MemorySinkProvider() {}

  @Override
  public String name() {
    return "mem";
  }

  @Override
  public BackupSink open(URI location, Map<String, String> options, boolean create, ProviderContext context) {
    return new Client(REPOSITORIES.computeIfAbsent(location.getSchemeSpecificPart(), k -> new MemorySink()));
  }

  private static final class Client implements BackupSink {
    private final MemorySink store;
    private volatile boolean closed;

    Client(MemorySink store) {
      this.store = store;
    }

    private void check() throws IOException {
      if (closed) {
        throw new IOException("the storage client was closed");
      }
    }

    @Override
    public String describe() {
      return store.describe();
    }

    @Override
    public PartWriter openWrite(String key, WriteMode mode) throws IOException {
      check();
      return store.openWrite(key, mode);
    }

    @Override
    public InputStream openRead(String key) throws IOException {
      check();
      return guard(store.openRead(key));
    }

    @Override
    public InputStream openRead(String key, long offset, long length) throws IOException {
      check();
      return guard(store.openRead(key, offset, length));
    }

    private InputStream guard(InputStream in) {
      return new FilterInputStream(in) {
        @Override
        public int read() throws IOException {
          check();
          return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          check();
          return in.read(b, off, len);
        }
      };
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
      check();
      return store.stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
      check();
      return store.list(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
      check();
      store.delete(key);
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
