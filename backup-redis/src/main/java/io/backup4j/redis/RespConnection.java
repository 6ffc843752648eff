package io.backup4j.redis;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.SourceException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * A minimal RESP2 client over one socket: enough for AUTH, INFO, the replication handshake, BGSAVE and pipelined
 * RESTORE. Not thread-safe. Replies are {@link String} (simple strings), {@link Long}, {@code byte[]} (bulk, or
 * {@code null}), {@link List} (arrays) or {@link ErrorReply} (error replies are returned, not thrown, so pipelines
 * can collect them).
 */
final class RespConnection implements Closeable {
  /** An error reply such as {@code -ERR unknown command}. */
  record ErrorReply(String message) {
    /** The first word of the message: {@code ERR}, {@code NOAUTH}, {@code WRONGPASS}, {@code NOPERM}... */
    String code() {
      int sp = message.indexOf(' ');
      return sp < 0 ? message : message.substring(0, sp);
    }
  }

  private static final byte[] CRLF = {'\r', '\n'};

  private final RedisEndpoint endpoint;
  private final Socket socket;
  private final BufferedInputStream in;
  private final OutputStream out;

  private RespConnection(RedisEndpoint endpoint, Socket socket) throws IOException {
    this.endpoint = endpoint;
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
  }

  /** Connects and authenticates; a refused credential is an {@link AccessDeniedException}. */
  static RespConnection open(RedisEndpoint endpoint) {
    Socket socket = null;
    try {
      socket = new Socket();
      int timeoutMs = (int) Math.min(Integer.MAX_VALUE, endpoint.timeout.toMillis());
      socket.connect(new InetSocketAddress(endpoint.host, endpoint.port), timeoutMs);
      socket.setSoTimeout(timeoutMs);
      socket.setTcpNoDelay(true);
      socket.setKeepAlive(true);
      if (endpoint.tls) {
        socket = startTls(endpoint, socket);
      }
      RespConnection c = new RespConnection(endpoint, socket);
      c.authenticate();
      return c;
    } catch (IOException e) {
      closeQuietly(socket);
      throw new SourceException("cannot connect to Redis at " + endpoint.describe() + ": " + e.getMessage()
          + (endpoint.tls ? " (TLS: check the server's certificate and the trustStore option)" : ""), e);
    } catch (RuntimeException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  private static Socket startTls(RedisEndpoint endpoint, Socket plain) throws IOException {
    SSLSocketFactory factory;
    if (endpoint.trustStore == null) {
      factory = (SSLSocketFactory) SSLSocketFactory.getDefault();
    } else {
      try (InputStream ts = Files.newInputStream(endpoint.trustStore)) {
        KeyStore ks = KeyStore.getInstance(endpoint.trustStoreType);
        char[] pw = endpoint.trustStorePassword == null ? null : endpoint.trustStorePassword.reveal();
        try {
          ks.load(ts, pw);
        } finally {
          if (pw != null) {
            Arrays.fill(pw, '\0');
          }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        factory = ctx.getSocketFactory();
      } catch (GeneralSecurityException e) {
        throw new ConfigurationException("cannot load the trust store " + endpoint.trustStore + " (type "
            + endpoint.trustStoreType + "): " + e.getMessage(), e);
      }
    }
    SSLSocket ssl = (SSLSocket) factory.createSocket(plain, endpoint.host, endpoint.port, true);
    if (endpoint.verifyHostname) {
      SSLParameters params = ssl.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      ssl.setSSLParameters(params);
    }
    ssl.startHandshake();
    return ssl;
  }

  private void authenticate() throws IOException {
    if (endpoint.password == null) {
      return;
    }
    byte[] pw = endpoint.password.revealBytes();
    try {
      Object reply = endpoint.user == null
          ? call("AUTH".getBytes(StandardCharsets.US_ASCII), pw)
          : call("AUTH".getBytes(StandardCharsets.US_ASCII), endpoint.user.getBytes(StandardCharsets.UTF_8), pw);
      if (reply instanceof ErrorReply err) {
        // The server's text names no secret ("WRONGPASS invalid username-password pair").
        throw new AccessDeniedException("Redis at " + endpoint.describe() + " refused the credentials"
            + (endpoint.user == null ? "" : " of user '" + endpoint.user + "'") + ": " + err.message()
            + "; check the password (URI user-info or secret " + RedisEndpoint.SECRET_PASSWORD + ")");
      }
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /** Sends one command and reads its reply. */
  Object call(Object... args) throws IOException {
    send(args);
    out.flush();
    return readReply();
  }

  /**
   * Sends a command and returns its reply, turning an error reply into an exception: {@link AccessDeniedException}
   * for {@code NOAUTH}/{@code WRONGPASS}/{@code NOPERM}, {@link SourceException} otherwise.
   */
  Object callOk(Object... args) throws IOException {
    Object reply = call(args);
    if (reply instanceof ErrorReply err) {
      throw error(commandName(args), err);
    }
    return reply;
  }

  RuntimeException error(String command, ErrorReply err) {
    String code = err.code();
    if (code.equals("NOAUTH") || code.equals("WRONGPASS") || code.equals("NOPERM")) {
      return new AccessDeniedException("Redis at " + endpoint.describe() + " refused " + command + ": "
          + err.message() + (code.equals("NOAUTH")
              ? "; the server requires a password (URI user-info or secret " + RedisEndpoint.SECRET_PASSWORD + ")"
              : code.equals("NOPERM") ? "; grant the user the command in its ACL" : ""));
    }
    return new SourceException("Redis at " + endpoint.describe() + " answered " + command + " with an error: "
        + err.message());
  }

  /** Runs {@code INFO section} and returns its {@code name:value} fields. */
  Map<String, String> info(String section) throws IOException {
    Object reply = callOk("INFO", section);
    String text = reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : text.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith("#") && colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }

  /** Writes a command to the buffer without flushing (for pipelines). Returns the number of bytes written. */
  long send(Object... args) throws IOException {
    long n = 0;
    n += writeHeader('*', args.length);
    for (Object a : args) {
      byte[] b = a instanceof byte[] bytes ? bytes : String.valueOf(a).getBytes(StandardCharsets.UTF_8);
      n += writeHeader('$', b.length);
      out.write(b);
      out.write(CRLF);
      n += b.length + 2;
    }
    return n;
  }

  void flush() throws IOException {
    out.flush();
  }

  private int writeHeader(char type, int n) throws IOException {
    byte[] h = (type + Integer.toString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    out.write(h);
    return h.length;
  }

  /** Reads one reply. */
  @Nullable Object readReply() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("Redis closed the connection");
    }
    String line = readLine();
    switch (type) {
      case '+':
        return line;
      case '-':
        return new ErrorReply(line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int len = Integer.parseInt(line);
        if (len < 0) {
          return null;
        }
        byte[] b = in.readNBytes(len);
        if (b.length < len || in.read() != '\r' || in.read() != '\n') {
          throw new EOFException("Redis closed the connection in the middle of a reply");
        }
        return b;
      }
      case '*': {
        int len = Integer.parseInt(line);
        if (len < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>(len);
        for (int i = 0; i < len; i++) {
          items.add(readReply());
        }
        return items;
      }
      default:
        throw new IOException("unexpected reply type '" + (char) type + "' from Redis at " + endpoint.describe());
    }
  }

  /** Reads up to CRLF (or LF), without the terminator. */
  String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("Redis closed the connection");
      }
      if (b == '\n') {
        break;
      }
      if (line.size() > 1 << 20) {
        throw new IOException("a reply line from Redis at " + endpoint.describe() + " is longer than 1 MiB");
      }
      line.write(b);
    }
    byte[] b = line.toByteArray();
    int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
    return new String(b, 0, len, StandardCharsets.UTF_8);
  }

  /** The raw input, positioned after the last reply read; used for the RDB payload. */
  InputStream input() {
    return in;
  }

  int localPort() {
    return socket.getLocalPort();
  }

  RedisEndpoint endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    closeQuietly(socket);
  }

  static String commandName(Object[] args) {
    if (args.length == 0) {
      return "(empty command)";
    }
    String first = args[0] instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(args[0]);
    // AUTH and friends: never echo arguments, only the command and (for subcommands) the second word.
    if (args.length > 1 && (first.equalsIgnoreCase("REPLCONF") || first.equalsIgnoreCase("CONFIG")
        || first.equalsIgnoreCase("FUNCTION"))) {
      return first + " " + args[1];
    }
    return first;
  }

  private static void closeQuietly(@Nullable Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing a socket we no longer use; nothing to recover
      }
    }
  }
}
