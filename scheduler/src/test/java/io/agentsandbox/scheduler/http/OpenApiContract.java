package io.agentsandbox.scheduler.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.ComposedSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Checks HTTP answers against the served OpenAPI document ({@code /openapi.yaml} on the classpath):
 * the status must be documented for the operation, the content type must be one the response
 * declares, a JSON body must match its schema (types, required fields, enums, and no undocumented
 * field: response objects are treated as closed), and documented response headers such as {@code
 * Retry-After} must be present. Test code; the parser runs once per instance.
 */
final class OpenApiContract {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Set<Integer> OTHER_ERRORS = Set.of(400, 405, 408, 414, 431, 500);

  private final OpenAPI api;
  private final Set<String> exercised = new TreeSet<>();

  OpenApiContract() {
    SwaggerParseResult result = parse();
    if (!result.getMessages().isEmpty())
      throw new IllegalStateException("openapi.yaml: " + result.getMessages());
    this.api = result.getOpenAPI();
  }

  /** Parses the document with every {@code $ref} resolved. */
  static SwaggerParseResult parse() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    options.setResolveFully(true);
    return new OpenAPIParser().readContents(text(), null, options);
  }

  /** The document's text, as served. */
  static String text() {
    try (InputStream in = OpenApiContract.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) throw new IllegalStateException("no /openapi.yaml on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  OpenAPI api() {
    return api;
  }

  /** "METHOD /template" of every documented operation. */
  Set<String> documentedOperations() {
    Set<String> ops = new TreeSet<>();
    api.getPaths()
        .forEach(
            (path, item) ->
                item.readOperationsMap().keySet().forEach(m -> ops.add(m.name() + " " + path)));
    return ops;
  }

  /** "METHOD /template" of every operation {@link #check} has seen an answer of. */
  Set<String> exercisedOperations() {
    return exercised;
  }

  /**
   * The violations of one answer, empty when it matches the document.
   *
   * @param path the request path without the query string
   * @param headers response header lookup (case-insensitive names)
   */
  List<String> check(
      String method,
      String path,
      int status,
      java.util.function.Function<String, String> headers,
      byte[] body) {
    List<String> problems = new ArrayList<>();
    String where = method + " " + path + " -> " + status;
    String template = template(path);
    if (template == null) {
      problems.add(where + ": no documented path matches");
      return problems;
    }
    PathItem item = api.getPaths().get(template);
    Operation op = item.readOperationsMap().get(PathItem.HttpMethod.valueOf(method));
    if (op == null && status == 405) {
      // an undocumented method is refused with the documented error body
      try {
        for (String p : checkComponent("Error", JSON.readTree(body)))
          problems.add(where + ": " + p);
      } catch (IOException e) {
        problems.add(where + ": body is not JSON");
      }
      return problems;
    }
    if (op == null) {
      problems.add(where + ": method not documented on " + template);
      return problems;
    }
    exercised.add(method + " " + template);
    ApiResponse response = op.getResponses().get(Integer.toString(status));
    // "default" covers only the errors any request can get before reaching its operation
    if (response == null && OTHER_ERRORS.contains(status))
      response = op.getResponses().get("default");
    if (response == null) {
      problems.add(where + ": status not documented for " + method + " " + template);
      return problems;
    }
    if (response.getHeaders() != null) {
      for (Map.Entry<String, Header> h : response.getHeaders().entrySet()) {
        if (headers.apply(h.getKey()) == null)
          problems.add(where + ": documented header " + h.getKey() + " missing");
      }
    }
    Map<String, MediaType> content = response.getContent();
    if (content == null || content.isEmpty()) {
      if (body != null && body.length > 0)
        problems.add(where + ": documented without a body but has " + body.length + " bytes");
      return problems;
    }
    String contentType = headers.apply("content-type");
    if (contentType == null) {
      problems.add(where + ": no content-type; documented: " + content.keySet());
      return problems;
    }
    String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    MediaType documented = content.get(mediaType);
    if (documented == null) {
      problems.add(where + ": content-type " + mediaType + " not in " + content.keySet());
      return problems;
    }
    if (mediaType.equals("application/json")) {
      JsonNode node;
      try {
        node = JSON.readTree(body);
      } catch (IOException e) {
        problems.add(where + ": body is not JSON: " + e.getMessage());
        return problems;
      }
      validate(documented.getSchema(), node, "$", problems);
      for (int i = 0; i < problems.size(); i++) problems.set(i, where + ": " + problems.get(i));
    }
    return problems;
  }

  /** Checks a JSON value against a named component schema (e.g. one NDJSON line). */
  List<String> checkComponent(String schemaName, JsonNode node) {
    List<String> problems = new ArrayList<>();
    Schema<?> schema = api.getComponents().getSchemas().get(schemaName);
    if (schema == null) problems.add("no component schema " + schemaName);
    else validate(schema, node, schemaName, problems);
    return problems;
  }

  /** The documented path template matching a concrete path, or null. */
  String template(String path) {
    for (String t : api.getPaths().keySet()) {
      StringBuilder regex = new StringBuilder("^");
      for (String part : t.split("(?=\\{)|(?<=\\})")) {
        if (part.startsWith("{") && part.endsWith("}")) {
          // {path} of the files route is the rest of the path (may contain '/')
          regex.append(part.equals("{path}") ? ".+" : "[^/]+");
        } else {
          regex.append(Pattern.quote(part));
        }
      }
      if (path.matches(regex.append("$").toString())) return t;
    }
    return null;
  }

  // ---------------------------------------------------------------- schema

  /** The violations of a JSON value against a schema. */
  static List<String> validate(Schema<?> schema, JsonNode node) {
    List<String> out = new ArrayList<>();
    validate(schema, node, "$", out);
    return out;
  }

  private static void validate(Schema<?> schema, JsonNode node, String at, List<String> out) {
    if (schema == null) return;
    if (node.isNull()) {
      if (!Boolean.TRUE.equals(schema.getNullable())) out.add(at + ": null");
      return;
    }
    if (schema instanceof ComposedSchema composed && composed.getOneOf() != null) {
      int matches = 0;
      List<String> why = new ArrayList<>();
      for (Schema<?> alternative : composed.getOneOf()) {
        List<String> p = new ArrayList<>();
        validate(alternative, node, at, p);
        if (p.isEmpty()) matches++;
        else why.add(p.toString());
      }
      if (matches != 1) out.add(at + ": matches " + matches + " of oneOf, not 1: " + why);
      return;
    }
    String type = schema.getType();
    if (type == null && schema.getTypes() != null && schema.getTypes().size() == 1)
      type = schema.getTypes().iterator().next();
    if (type == null && schema.getProperties() != null) type = "object";
    if (type == null) return;
    switch (type) {
      case "object" -> validateObject(schema, node, at, out);
      case "array" -> {
        if (!node.isArray()) {
          out.add(at + ": expected an array, got " + node.getNodeType());
          return;
        }
        if (schema.getMinItems() != null && node.size() < schema.getMinItems())
          out.add(at + ": fewer than " + schema.getMinItems() + " items");
        for (int i = 0; i < node.size(); i++)
          validate(schema.getItems(), node.get(i), at + "[" + i + "]", out);
      }
      case "string" -> {
        if (!node.isTextual()) {
          out.add(at + ": expected a string, got " + node.getNodeType());
          return;
        }
        if ("date-time".equals(schema.getFormat())) {
          try {
            OffsetDateTime.parse(node.asText());
          } catch (DateTimeParseException e) {
            out.add(at + ": not a date-time: " + node.asText());
          }
        }
        checkEnum(schema, node.asText(), at, out);
      }
      case "integer" -> {
        if (!node.isIntegralNumber()) out.add(at + ": expected an integer, got " + node);
        else checkEnum(schema, node.asLong(), at, out);
      }
      case "number" -> {
        if (!node.isNumber()) out.add(at + ": expected a number, got " + node);
      }
      case "boolean" -> {
        if (!node.isBoolean()) out.add(at + ": expected a boolean, got " + node);
      }
      default -> out.add(at + ": unsupported schema type " + type);
    }
  }

  private static void validateObject(Schema<?> schema, JsonNode node, String at, List<String> out) {
    if (!node.isObject()) {
      out.add(at + ": expected an object, got " + node.getNodeType());
      return;
    }
    if (schema.getRequired() != null) {
      for (String r : schema.getRequired())
        if (!node.has(r)) out.add(at + ": required field " + r + " missing");
    }
    Map<String, Schema> properties =
        schema.getProperties() == null ? Map.of() : schema.getProperties();
    Object additional = schema.getAdditionalProperties();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      Schema<?> p = properties.get(field.getKey());
      if (p != null) {
        validate(p, field.getValue(), at + "." + field.getKey(), out);
      } else if (additional instanceof Schema<?> s) {
        validate(s, field.getValue(), at + "." + field.getKey(), out);
      } else if (!Boolean.TRUE.equals(additional)) {
        // Closed unless the schema says otherwise: an undocumented field is drift.
        out.add(at + ": undocumented field " + field.getKey());
      }
    }
  }

  private static void checkEnum(Schema<?> schema, Object value, String at, List<String> out) {
    List<?> values = schema.getEnum();
    if (values == null || values.isEmpty()) return;
    for (Object v : values) {
      if (v != null && v.toString().equals(value.toString())) return;
    }
    out.add(at + ": " + value + " not one of " + values);
  }
}
