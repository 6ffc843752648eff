package io.backup4j.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy in front of a test server that damages the server-to-client direction: it either cuts the
 * connection after {@code n} bytes, or flips one byte at offset {@code n}; {@link Fault#NONE} passes everything
 * through. Either way it records the first {@value #RECORDED} bytes the server sent ({@link #serverPrefix()}).
 * Loopback only; stops on close.
 */
final class FaultyProxy implements AutoCloseable {
  enum Fault { CUT, FLIP, NONE }

  /** How many bytes of the server-to-client direction {@link #serverPrefix()} keeps. */
  static final int RECORDED = 1 << 16;

  private final java.io.ByteArrayOutputStream recorded = new java.io.ByteArrayOutputStream();

  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  FaultyProxy(int targetPort, Fault fault, long offset) throws IOException {
    server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          Socket upstream = new Socket();
          upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
          sockets.add(client);
          sockets.add(upstream);
          pump(client.getInputStream(), upstream.getOutputStream(), null, 0, client, upstream, null);
          pump(upstream.getInputStream(), client.getOutputStream(), fault, offset, client, upstream, recorded);
        } catch (IOException e) {
          return;
        }
      }
    }, "faulty-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** The first {@value #RECORDED} bytes the server sent, over all connections so far. */
  byte[] serverPrefix() {
    synchronized (recorded) {
      return recorded.toByteArray();
    }
  }

  private static void pump(InputStream in, OutputStream out, Fault fault, long offset, Socket a, Socket b,
      java.io.ByteArrayOutputStream record) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      long position = 0;
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (record != null) {
            synchronized (record) {
              record.write(buf, 0, Math.max(0, Math.min(n, RECORDED - record.size())));
            }
          }
          if (fault == Fault.CUT && position + n > offset) {
            out.write(buf, 0, (int) (offset - position));
            out.flush();
            break;
          }
          if (fault == Fault.FLIP && position <= offset && offset < position + n) {
            buf[(int) (offset - position)] ^= 0x5a;
          }
          out.write(buf, 0, n);
          out.flush();
          position += n;
        }
      } catch (IOException ignored) {
        // the other side closed
      } finally {
        close(a);
        close(b);
      }
    }, "faulty-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      close(s);
    }
  }
}
