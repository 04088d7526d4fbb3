package io.agentsandbox.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The served OpenAPI document is valid OpenAPI 3: swagger-parser reads it without a message. */
class OpenApiDocumentTest {

  @Test
  void shouldParseWithoutErrorsOrWarnings() {
    SwaggerParseResult result = OpenApiContract.parse();
    assertThat(result.getMessages()).as("swagger-parser messages").isEmpty();
    assertThat(result.getOpenAPI()).isNotNull();
    assertThat(result.getOpenAPI().getOpenapi()).startsWith("3.0");
  }

  @Test
  void shouldReportFlowStyleCommaAsError() {
    // The parser does catch the bug this document once had (an unquoted comma in a flow mapping
    // turning half a description into a property name), so the test above can fail.
    String broken =
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
            + "    A:\n      type: object\n      properties:\n"
            + "        r: {type: string, description: With template, pick the pool}\n";
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result =
        new OpenAPIParser()
            .readContents(new String(broken.getBytes(StandardCharsets.UTF_8)), null, options);
    assertThat(result.getMessages()).isNotEmpty();
  }
}
