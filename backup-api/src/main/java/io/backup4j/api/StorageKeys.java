package io.backup4j.api;

/**
 * Validation of the keys under which a {@link BackupSink} stores objects. Every sink calls {@link #validate(String)}
 * before a key becomes a path or an object name, so a hostile or buggy name can never escape the repository.
 *
 * <p>A valid key is 1 to 1024 characters, made of {@code /}-separated segments; no segment is empty, {@code .} or
 * {@code ..}; the key does not start with {@code /} or {@code \}, contains no backslash, no control character
 * (U+0000-U+001F, U+007F) and no Windows drive prefix ({@code C:}).
 */
public final class StorageKeys {
  /** Longest accepted key, in characters (S3 allows 1024 bytes). */
  public static final int MAX_LENGTH = 1024;

  private StorageKeys() {}

  /**
   * Returns {@code key} if it is valid.
   *
   * @throws ConfigurationException naming the key and the rule it breaks
   */
  public static String validate(String key) {
    String problem = problem(key);
    if (problem != null) {
      throw new ConfigurationException("invalid storage key '" + BackupId.printable(key) + "': " + problem);
    }
    return key;
  }

  /**
   * Returns {@code prefix} if it is a valid listing prefix: empty, or a valid key optionally ending in {@code /}.
   *
   * @throws ConfigurationException naming the prefix and the rule it breaks
   */
  public static String validatePrefix(String prefix) {
    if (prefix.isEmpty()) {
      return prefix;
    }
    validate(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
    return prefix;
  }

  /** Whether {@code key} is valid. */
  public static boolean isValid(String key) {
    return problem(key) == null;
  }

  private static String problem(String key) {
    if (key.isEmpty()) {
      return "it is empty";
    }
    if (key.length() > MAX_LENGTH) {
      return "it is longer than " + MAX_LENGTH + " characters";
    }
    if (key.startsWith("/")) {
      return "absolute paths are not allowed; use a relative key";
    }
    if (key.indexOf('\\') >= 0) {
      return "backslashes are not allowed";
    }
    if (key.length() >= 2 && key.charAt(1) == ':' && Character.isLetter(key.charAt(0))) {
      return "drive prefixes are not allowed";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return "control characters are not allowed";
      }
    }
    for (String segment : key.split("/", -1)) {
      if (segment.isEmpty()) {
        return "empty path segments ('//' or a trailing '/') are not allowed";
      }
      if (segment.equals(".") || segment.equals("..")) {
        return "'.' and '..' segments are not allowed";
      }
    }
    return null;
  }
}
