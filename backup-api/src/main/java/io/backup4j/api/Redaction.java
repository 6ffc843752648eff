package io.backup4j.api;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes credentials from text that is about to reach a message, a log line or a manifest: the user-info password
 * of URIs ({@code postgres://app:s3cret@db/x} becomes {@code postgres://app:****@db/x}) and the values of query
 * parameters whose names look sensitive ({@code password}, {@code secret}, {@code key}, {@code token}, ...).
 */
public final class Redaction {
  private static final String MASK = "****";
  // The password runs to the LAST '@' of the whitespace-free run: a hand-written URI may hold an unencoded '@', '/',
  // '?' or '#' in its password, and masking a host too much is harmless while showing half a password is not.
  private static final Pattern USER_INFO = Pattern.compile("(?<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?<user>[^:@/?#\\s]*):(?<pw>\\S*)@");
  private static final Pattern QUERY_PARAM = Pattern.compile("(?<pre>[?&;])(?<name>[^=&;#\\s]+)=(?<value>[^&;#\\s]*)");
  private static final Set<String> SENSITIVE_WORDS = Set.of(
      "password", "passwd", "pwd", "secret", "token", "passphrase", "credential", "sslpassword", "accesskey",
      "secretkey", "sessiontoken", "key", "apikey", "sig", "signature", "x-amz-signature", "x-amz-credential",
      "x-amz-security-token");

  private Redaction() {}

  /** Returns {@code text} with URI passwords and sensitive query parameter values replaced by {@code ****}. */
  public static String redact(String text) {
    Matcher u = USER_INFO.matcher(text);
    StringBuilder ub = new StringBuilder();
    while (u.find()) {
      u.appendReplacement(ub, Matcher.quoteReplacement(u.group("scheme") + u.group("user") + ":" + MASK + "@"));
    }
    u.appendTail(ub);
    Matcher q = QUERY_PARAM.matcher(ub);
    StringBuilder sb = new StringBuilder();
    while (q.find()) {
      String name = q.group("name");
      String replacement = isSensitiveName(name) ? q.group("pre") + name + "=" + MASK : q.group();
      q.appendReplacement(sb, Matcher.quoteReplacement(replacement));
    }
    q.appendTail(sb);
    return sb.toString();
  }

  /**
   * Whether an option or parameter with this name holds a secret: its lower-cased name, without {@code -} and
   * {@code _}, equals or ends with one of the sensitive words (so {@code keyId} and {@code keyFile} are not secret,
   * {@code password} and {@code sseCustomerKey} are).
   */
  public static boolean isSensitiveName(String name) {
    String n = name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    for (String word : SENSITIVE_WORDS) {
      if (n.equals(word) || n.endsWith(word)) {
        return true;
      }
    }
    return false;
  }
}
