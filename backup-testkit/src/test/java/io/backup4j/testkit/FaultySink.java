package io.backup4j.testkit;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.StorageKeys;
import io.backup4j.api.WriteMode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An in-memory sink that is correct unless told to break one rule, so the suite's own tests can show that each rule is
 * really checked.
 */
final class FaultySink implements BackupSink {
  /** The rule to break. */
  enum Fault {
    NONE,
    VISIBLE_BEFORE_COMMIT,
    CLOSE_COMMITS,
    NO_KEY_VALIDATION,
    LIST_IN_REVERSE,
    CREATE_ONLY_OVERWRITES,
    MISSING_READ_IS_EMPTY,
    RANGE_PAST_END_THROWS,
    DELETE_MISSING_THROWS,
    CLOSED_STREAM_LOSES_DATA,
    /**
     * The sink behaves as with {@link #NONE} (it buffers every object in the heap), but {@link FaultySinkSuite}
     * declares its storage to be outside the heap: the buffering is then what the bounded-memory test must catch.
     */
    WHOLE_OBJECT_IN_HEAP
  }

  private record Blob(byte[] data, Instant time) {}

  private final Fault fault;
  private final ConcurrentSkipListMap<String, Blob> objects = new ConcurrentSkipListMap<>();

  FaultySink(Fault fault) {
    this.fault = fault;
  }

  private void validate(String key) {
    if (fault != Fault.NO_KEY_VALIDATION) {
      StorageKeys.validate(key);
    }
  }

  @Override
  public String describe() {
    return "faulty://" + fault;
  }

  @Override
  public Set<SinkFeature> features() {
    return Set.of(SinkFeature.CONDITIONAL_CREATE, SinkFeature.RANGED_READ);
  }

  @Override
  public PartWriter openWrite(String key, WriteMode mode) {
    validate(key);
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    return new PartWriter() {
      private boolean done;
      private final OutputStream stream = new OutputStream() {
        @Override
        public void write(int b) {
          buffer.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          buffer.write(b, off, len);
        }

        @Override
        public void flush() {
          publishEarly();
        }

        @Override
        public void close() {
          if (fault == Fault.CLOSED_STREAM_LOSES_DATA) {
            buffer.reset();
          }
        }
      };

      private void publishEarly() {
        if (fault == Fault.VISIBLE_BEFORE_COMMIT) {
          objects.put(key, new Blob(buffer.toByteArray(), Instant.now()));
        }
      }

      @Override
      public OutputStream stream() {
        return stream;
      }

      @Override
      public void commit() {
        if (done) {
          return;
        }
        done = true;
        Blob blob = new Blob(buffer.toByteArray(), Instant.now());
        if (mode == WriteMode.CREATE_ONLY && fault != Fault.CREATE_ONLY_OVERWRITES) {
          if (objects.putIfAbsent(key, blob) != null) {
            throw new AlreadyExistsException(key + " exists");
          }
        } else {
          objects.put(key, blob);
        }
      }

      @Override
      public void close() {
        if (fault == Fault.CLOSE_COMMITS && !done) {
          commit();
        }
        done = true;
      }
    };
  }

  @Override
  public InputStream openRead(String key) {
    return openRead(key, 0, Long.MAX_VALUE);
  }

  @Override
  public InputStream openRead(String key, long offset, long length) {
    validate(key);
    Blob blob = objects.get(key);
    if (blob == null) {
      if (fault == Fault.MISSING_READ_IS_EMPTY) {
        return new ByteArrayInputStream(new byte[0]);
      }
      throw new NotFoundException("no " + key);
    }
    if (fault == Fault.RANGE_PAST_END_THROWS && offset >= blob.data().length && length > 0) {
      throw new IllegalArgumentException("range not satisfiable");
    }
    int start = (int) Math.min(offset, blob.data().length);
    return new ByteArrayInputStream(blob.data(), start, (int) Math.min(length, blob.data().length - start));
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    validate(key);
    Blob b = objects.get(key);
    return b == null ? Optional.empty() : Optional.of(new ObjectInfo(key, b.data().length, b.time()));
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) {
    if (fault != Fault.NO_KEY_VALIDATION) {
      StorageKeys.validatePrefix(prefix);
    }
    List<ObjectInfo> out = new ArrayList<>();
    for (Map.Entry<String, Blob> e : objects.tailMap(prefix).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      out.add(new ObjectInfo(e.getKey(), e.getValue().data().length, e.getValue().time()));
    }
    if (fault == Fault.LIST_IN_REVERSE) {
      Collections.reverse(out);
    }
    return out.stream().collect(Collectors.toList()).stream();
  }

  @Override
  public void delete(String key) throws IOException {
    validate(key);
    if (objects.remove(key) == null && fault == Fault.DELETE_MISSING_THROWS) {
      throw new NotFoundException("no " + key);
    }
  }
}
