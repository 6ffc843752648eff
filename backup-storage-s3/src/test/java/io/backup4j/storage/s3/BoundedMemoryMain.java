package io.backup4j.storage.s3;

import io.backup4j.api.PartWriter;
import io.backup4j.api.WriteMode;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Run in a child JVM with a small heap by {@link S3BoundedMemoryTest}: streams an object several times larger than
 * the heap through the sink (to an s3proxy that stores on disk) and reads it back. Exit code 0 means the hashes
 * matched; an OutOfMemoryError ends the JVM with a non-zero code.
 */
public final class BoundedMemoryMain {
  private BoundedMemoryMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long size = Long.parseLong(args[1]);
    long partSize = Long.parseLong(args[2]);
    try (InProcessS3 s3 = InProcessS3.start(dir.resolve("store"))) {
      s3.createBucket("mem");
      try (S3Sink sink = S3TestSupport.builder(s3, "mem", "p").partSize(partSize).concurrency(4)
          .memoryBuffer(16 << 20).temporaryDirectory(dir.resolve("tmp")).build()) {
        byte[] written;
        try (PartWriter w = sink.openWrite("data/huge", WriteMode.OVERWRITE)) {
          written = S3TestSupport.writeRandom(w.stream(), size, 1);
          w.commit();
        }
        byte[] read;
        try (InputStream in = sink.openRead("data/huge")) {
          read = S3TestSupport.digest(in);
        }
        System.out.println("max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB, streamed "
            + (size >> 20) + " MiB, hashes equal: " + Arrays.equals(written, read));
        System.exit(Arrays.equals(written, read) ? 0 : 2);
      }
    }
  }
}
