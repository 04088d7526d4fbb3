package io.agentsandbox.scheduler.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * Captures what one logger writes, in the test's JVM, as events with their structured fields (no
 * grepping of stdout). Appends from any thread; read from the test thread.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  /** One captured line: its level, message and fields. */
  public record Line(Level level, String message, Map<String, Object> fields) {
    public Object get(String key) {
      return fields.get(key);
    }
  }

  private final Logger logger;
  private final Level previous;
  private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();

  /** Starts capturing {@code loggerName} at INFO and above. */
  public LogCapture(String loggerName) {
    logger = (Logger) LoggerFactory.getLogger(loggerName);
    previous = logger.getLevel();
    logger.setLevel(Level.INFO);
    setContext(logger.getLoggerContext());
    start();
    logger.addAppender(this);
  }

  @Override
  protected void append(ILoggingEvent e) {
    events.add(e);
  }

  /** Every line so far. */
  public List<Line> lines() {
    List<Line> out = new ArrayList<>();
    for (ILoggingEvent e : events) {
      Map<String, Object> fields = new LinkedHashMap<>();
      List<KeyValuePair> kvs = e.getKeyValuePairs();
      if (kvs != null) for (KeyValuePair kv : kvs) fields.put(kv.key, kv.value);
      out.add(new Line(e.getLevel(), e.getFormattedMessage(), fields));
    }
    return out;
  }

  /** The lines whose field {@code key} equals {@code value}. */
  public List<Line> where(String key, Object value) {
    return lines().stream().filter(l -> value.equals(l.get(key))).toList();
  }

  @Override
  public void close() {
    logger.detachAppender(this);
    logger.setLevel(previous);
    stop();
  }
}
