package io.backup4j.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backup4j.api.BackupId;
import io.backup4j.api.BackupStatus;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.api.TransformSpec;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes manifests as JSON (format described in docs/manifest-format.md). Unknown fields are ignored so an
 * older reader can read a newer manifest of the same major format; a newer {@code formatVersion} is refused.
 */
public final class ManifestCodec {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ManifestCodec() {}

  /** Serialises a manifest. */
  public static byte[] write(Manifest m) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("formatVersion", m.formatVersion());
    root.put("id", m.id().value());
    root.put("backupSet", m.backupSet());
    root.put("sourceKind", m.sourceKind());
    root.put("sourceIdentity", m.sourceIdentity());
    root.set("labels", map(m.labels()));
    root.put("startedAt", m.startedAt().toString());
    root.put("finishedAt", m.finishedAt().toString());
    root.put("status", m.status().name());
    if (m.parentId() != null) {
      root.put("parentId", m.parentId().value());
    }
    ArrayNode transforms = root.putArray("transforms");
    for (TransformSpec t : m.transforms()) {
      ObjectNode n = transforms.addObject();
      n.put("name", t.name());
      n.set("parameters", map(t.parameters()));
    }
    ArrayNode parts = root.putArray("parts");
    for (PartInfo p : m.parts()) {
      ObjectNode n = parts.addObject();
      n.put("name", p.name());
      n.put("key", p.key());
      n.put("rawSize", p.rawSize());
      n.put("storedSize", p.storedSize());
      n.put("rawSha256", p.rawSha256());
      n.put("storedSha256", p.storedSha256());
    }
    root.set("sourceMetadata", map(m.sourceMetadata()));
    root.put("producer", m.producer());
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise manifest " + m.id(), e);
    }
  }

  /**
   * Reads the manifest stored under the catalog key {@code key} and checks that it belongs there: its id is the one
   * the key names and every part lies under that backup's data prefix. A manifest copied or edited by hand could
   * otherwise make {@code delete X} remove the parts of another backup.
   *
   * @throws IntegrityException if the manifest is unreadable or does not belong under {@code key}
   */
  public static Manifest readCatalog(byte[] json, String key) {
    Manifest m = read(json, key);
    BackupId expected = Layout.idOf(key, Layout.CATALOG);
    if (expected == null || !expected.equals(m.id())) {
      throw new IntegrityException("manifest " + key + " holds backup " + m.id()
          + ": a catalog file was renamed, copied or edited by hand; move it back to " + Layout.manifest(m.id())
          + " or remove it");
    }
    String prefix = Layout.dataPrefix(m.id());
    for (PartInfo p : m.parts()) {
      if (!p.key().startsWith(prefix) || p.key().length() == prefix.length()) {
        throw new IntegrityException("manifest " + key + " names part '" + p.name() + "' at " + p.key()
            + ", outside " + prefix + ": the manifest was edited by hand; restore it from a copy or remove it");
      }
    }
    return m;
  }

  /**
   * Parses a manifest.
   *
   * @param origin where it was read from, for error messages
   * @throws IntegrityException if it is not a valid manifest
   */
  public static Manifest read(byte[] json, String origin) {
    try {
      JsonNode root = MAPPER.readTree(json);
      if (root == null || !root.isObject()) {
        throw new IntegrityException("manifest " + origin + " is not a JSON object");
      }
      int version = req(root, "formatVersion", origin).asInt();
      if (version > Manifest.FORMAT_VERSION || version < 1) {
        throw new IntegrityException("manifest " + origin + " has format version " + version
            + " but this backup4j reads versions 1 to " + Manifest.FORMAT_VERSION + "; upgrade backup4j to read it");
      }
      List<TransformSpec> transforms = new ArrayList<>();
      for (JsonNode t : req(root, "transforms", origin)) {
        transforms.add(new TransformSpec(req(t, "name", origin).asText(), readMap(t.get("parameters"))));
      }
      List<PartInfo> parts = new ArrayList<>();
      for (JsonNode p : req(root, "parts", origin)) {
        parts.add(new PartInfo(
            req(p, "name", origin).asText(),
            req(p, "key", origin).asText(),
            req(p, "rawSize", origin).asLong(),
            req(p, "storedSize", origin).asLong(),
            req(p, "rawSha256", origin).asText(),
            req(p, "storedSha256", origin).asText()));
      }
      JsonNode parent = root.get("parentId");
      return new Manifest(
          version,
          BackupId.of(req(root, "id", origin).asText()),
          req(root, "backupSet", origin).asText(),
          req(root, "sourceKind", origin).asText(),
          req(root, "sourceIdentity", origin).asText(),
          readMap(root.get("labels")),
          Instant.parse(req(root, "startedAt", origin).asText()),
          Instant.parse(req(root, "finishedAt", origin).asText()),
          BackupStatus.valueOf(req(root, "status", origin).asText()),
          parts,
          transforms,
          parent == null || parent.isNull() ? null : BackupId.of(parent.asText()),
          readMap(root.get("sourceMetadata")),
          req(root, "producer", origin).asText());
    } catch (IOException | RuntimeException e) {
      if (e instanceof IntegrityException ie) {
        throw ie;
      }
      throw new IntegrityException("manifest " + origin + " is damaged or not a backup4j manifest: " + e.getMessage(), e);
    }
  }

  private static JsonNode req(JsonNode node, String field, String origin) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new IntegrityException("manifest " + origin + " lacks the field '" + field + "'");
    }
    return v;
  }

  private static ObjectNode map(Map<String, String> m) {
    ObjectNode n = MAPPER.createObjectNode();
    m.forEach(n::put);
    return n;
  }

  private static Map<String, String> readMap(JsonNode n) {
    Map<String, String> m = new TreeMap<>();
    if (n != null && n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        var e = it.next();
        m.put(e.getKey(), e.getValue().asText());
      }
    }
    return m;
  }

  /** Reads a small JSON object of strings (lock files, pending markers). */
  public static Map<String, String> readSimple(byte[] json, String origin) {
    try {
      return readMap(MAPPER.readTree(json));
    } catch (IOException e) {
      throw new IntegrityException(origin + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  /** Writes a small JSON object of strings. */
  public static byte[] writeSimple(Map<String, String> values) {
    try {
      return MAPPER.writeValueAsBytes(map(values));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
