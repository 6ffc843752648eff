package io.backup4j.postgres.bench;

import io.backup4j.testkit.postgres.EmbeddedPostgresServer;
import io.backup4j.testkit.postgres.RichSchema;

/**
 * Starts an embedded PostgreSQL holding the rich fixture in database {@code shop} and prints its URI, for trying the
 * CLI by hand ({@code backup4j backup --source <uri> ...}); stops when stdin closes. Not a test.
 */
public final class DemoServer {
  private DemoServer() {}

  public static void main(String[] args) throws Exception {
    int major = args.length > 0 ? Integer.parseInt(args[0]) : 14;
    long rows = args.length > 1 ? Long.parseLong(args[1]) : 10_000;
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.builder().majorVersion(major).start()) {
      pg.createDatabase("shop");
      RichSchema.install(pg, "shop", rows);
      System.out.println(pg.uri("shop"));
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait until stdin closes
      }
    }
  }
}
