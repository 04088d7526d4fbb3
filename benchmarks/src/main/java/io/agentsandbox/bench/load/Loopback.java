package io.agentsandbox.bench.load;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;

/**
 * The harness only ever loads this machine: a target must be {@code http://} on {@code localhost},
 * an IPv4 literal in {@code 127.0.0.0/8} or the IPv6 loopback {@code ::1}. No name is resolved (a
 * name that merely resolves to 127.0.0.1 is refused too). Stateless.
 */
public final class Loopback {
  private Loopback() {}

  /** A checked target: host as written (brackets stripped) and port. */
  public record Target(String host, int port) {
    public String baseUrl() {
      return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /**
   * Checks a target URL.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static Target requireLoopback(String url) {
    URI uri;
    try {
      uri = new URI(url == null ? "" : url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--target '" + url + "' is not a URL: " + e.getReason());
    }
    if (!"http".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException(
          "--target must be an http:// URL (e.g. http://127.0.0.1:8080): '" + url + "'");
    }
    String host = uri.getHost();
    if ((host == null || host.isEmpty()) && uri.getRawAuthority() != null) {
      // Not a valid server name (e.g. 127.0.0.256, 0x7f.0.0.1): never a loopback literal.
      throw new IllegalArgumentException(
          "refusing to load "
              + uri.getRawAuthority()
              + ": the harness only targets this machine (127.0.0.0/8, ::1 or localhost)");
    }
    if (host == null || host.isEmpty())
      throw new IllegalArgumentException("--target has no host: '" + url + "'");
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    if (uri.getRawUserInfo() != null)
      throw new IllegalArgumentException("--target must not carry user info: '" + url + "'");
    String path = uri.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/"))
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "--target is the server's base URL, without a path: '" + url + "'");
    }
    if (!isLoopback(host)) {
      throw new IllegalArgumentException(
          "refusing to load "
              + host
              + ": the harness only targets this machine (127.0.0.0/8, ::1 or localhost)");
    }
    int port = uri.getPort() < 0 ? 80 : uri.getPort();
    return new Target(host, port);
  }

  /**
   * True for {@code localhost}, a dotted-quad in 127.0.0.0/8, or an IPv6 literal of the loopback.
   */
  public static boolean isLoopback(String host) {
    if (host == null) return false;
    if (host.equalsIgnoreCase("localhost")) return true;
    int[] quad = ipv4(host);
    if (quad != null) return quad[0] == 127;
    if (host.indexOf(':') >= 0 && host.matches("[0-9A-Fa-f:.]+")) {
      try {
        // A literal: getByName parses it without any lookup.
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  private static int[] ipv4(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) return null;
    int[] out = new int[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) return null;
      out[i] = Integer.parseInt(p);
      if (out[i] > 255) return null;
    }
    return out;
  }
}
