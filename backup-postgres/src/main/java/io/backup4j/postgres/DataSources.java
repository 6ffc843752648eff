package io.backup4j.postgres;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Secret;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.postgresql.ds.common.BaseDataSource;

/** Derives pg_dump's connection from a {@link DataSource}. */
final class DataSources {
  private DataSources() {}

  /**
   * A pgjdbc data source (or one that unwraps to it) gives host, port, database, user and password directly; any
   * other (a pool) is asked for a connection whose metadata gives the URL and user. Credentials a pool holds
   * internally are not reachable: the builder's password supplier must provide them.
   */
  static ConnectionSpec describe(DataSource ds) {
    try {
      if (ds.isWrapperFor(BaseDataSource.class)) {
        BaseDataSource pg = ds.unwrap(BaseDataSource.class);
        String[] hosts = pg.getServerNames();
        int[] ports = pg.getPortNumbers();
        String host = hosts.length == 0 || hosts[0] == null || hosts[0].isEmpty() ? "localhost" : hosts[0];
        int port = ports.length == 0 || ports[0] == 0 ? ConnectionSpec.DEFAULT_PORT : ports[0];
        String db = pg.getDatabaseName() == null ? "" : pg.getDatabaseName();
        ConnectionSpec spec = ConnectionSpec.parse("postgres://" + (host.contains(":") ? "[" + host + "]" : host)
            + ":" + port + "/" + java.net.URLEncoder.encode(db, java.nio.charset.StandardCharsets.UTF_8)
                // URLEncoder writes a space as '+', which a URI path (and ConnectionSpec) takes literally
                .replace("+", "%20"));
        spec = spec.withUser(pg.getUser());
        String pw = pg.getPassword();
        return pw == null ? spec : spec.withPassword(Secret.of(pw));
      }
    } catch (SQLException e) {
      // not unwrappable: fall back to asking a connection
    }
    try (Connection c = ds.getConnection()) {
      String url = c.getMetaData().getURL();
      String user = c.getMetaData().getUserName();
      if (url == null || !url.startsWith("jdbc:postgresql:")) {
        throw new ConfigurationException("the DataSource is not a PostgreSQL data source (its URL is not"
            + " jdbc:postgresql:...)");
      }
      int q = url.indexOf('?');
      ConnectionSpec spec = ConnectionSpec.parse(q < 0 ? url : url.substring(0, q));
      return spec.withUser(user);
    } catch (SQLException e) {
      throw Jdbc.translate(e, "cannot connect through the DataSource");
    }
  }
}
