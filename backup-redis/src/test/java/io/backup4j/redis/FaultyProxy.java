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
 * connection after {@code n} bytes, or flips one byte at offset {@code n}. Loopback only; stops on close.
 */
final class FaultyProxy implements AutoCloseable {
  enum Fault { CUT, FLIP }

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
          pump(client.getInputStream(), upstream.getOutputStream(), null, 0, client, upstream);
          pump(upstream.getInputStream(), client.getOutputStream(), fault, offset, client, upstream);
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

  private static void pump(InputStream in, OutputStream out, Fault fault, long offset, Socket a, Socket b) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      long position = 0;
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
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
