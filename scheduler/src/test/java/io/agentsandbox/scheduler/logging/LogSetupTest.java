package io.agentsandbox.scheduler.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class LogSetupTest {

  @Test
  void shouldParseLevelsForTheRootLoggersAndAliases() {
    Map<String, Level> levels =
        LogSetup.parseLevels("debug, claims=WARN ,io.vertx=error,audit=OFF");
    assertThat(levels)
        .containsExactly(
            Map.entry("ROOT", Level.DEBUG),
            Map.entry(ClaimLog.LOGGER, Level.WARN),
            Map.entry("io.vertx", Level.ERROR),
            Map.entry(AuditLog.LOGGER, Level.OFF));
    assertThat(LogSetup.parseLevels("")).isEmpty();
  }

  @Test
  void shouldNameTheFlagAndTheEntryOfABadLevel() {
    assertThatThrownBy(() -> LogSetup.parseLevels("INFO,claims=LOUD"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "--log-level: 'claims=LOUD': level must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF");
    assertThatThrownBy(() -> LogSetup.parseLevels("io vertx=INFO"))
        .hasMessageContaining("--log-level: 'io vertx=INFO': 'io vertx' is not a logger name");
    assertThatThrownBy(() -> LogSetup.parseLevels("verbose"))
        .hasMessageContaining("'verbose': level must be one of");
  }

  @Test
  void shouldParseTheFormatOrNameTheFlag() {
    assertThat(LogSetup.Format.parse("JSON")).isEqualTo(LogSetup.Format.JSON);
    assertThat(LogSetup.Format.parse("text")).isEqualTo(LogSetup.Format.TEXT);
    assertThatThrownBy(() -> LogSetup.Format.parse("xml"))
        .hasMessage("--log-format: 'xml' is not a format; use text or json");
  }

  /** The bundled JSON configuration writes one object per line with stable field names. */
  @Test
  void shouldWriteOneJsonObjectPerLineWithTheLinesFields() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(context);
    joran.doConfigure(LogSetup.class.getResource("/logback-json.xml"));
    AsyncAppender async =
        (AsyncAppender) context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("ASYNC");
    assertThat(async.isNeverBlock()).as("an event loop never blocks on the log").isTrue();
    @SuppressWarnings("unchecked")
    OutputStreamAppender<ILoggingEvent> out =
        (OutputStreamAppender<ILoggingEvent>) async.getAppender("STDOUT_JSON");

    LoggingEvent event =
        new LoggingEvent(
            getClass().getName(),
            context.getLogger(ClaimLog.LOGGER),
            Level.INFO,
            "claim \"bound\"\nnext",
            null,
            null);
    event.setThreadName("vert.x-eventloop-thread-1");
    event.setTimeStamp(1_700_000_000_000L);
    event.setKeyValuePairs(
        List.of(new KeyValuePair("claim_id", "cl-1-abc"), new KeyValuePair("waited_ms", 0.042)));
    String text = new String(out.getEncoder().encode(event), StandardCharsets.UTF_8);
    context.stop();

    assertThat(text).endsWith("\n");
    assertThat(text.strip()).doesNotContain("\n");
    JsonNode json = new ObjectMapper().readTree(text);
    assertThat(json.get("timestamp").asLong()).isEqualTo(1_700_000_000_000L);
    assertThat(json.get("level").asText()).isEqualTo("INFO");
    assertThat(json.get("loggerName").asText()).isEqualTo(ClaimLog.LOGGER);
    assertThat(json.get("threadName").asText()).isEqualTo("vert.x-eventloop-thread-1");
    assertThat(json.get("formattedMessage").asText()).isEqualTo("claim \"bound\"\nnext");
    assertThat(json.get("kvpList").get(0).get("claim_id").asText()).isEqualTo("cl-1-abc");
    assertThat(json.get("kvpList").get(1).get("waited_ms").asText()).isEqualTo("0.042");
    assertThat(json.has("context")).as("no per-line context noise").isFalse();
  }
}
