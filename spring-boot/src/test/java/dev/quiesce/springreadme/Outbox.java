package dev.quiesce.springreadme;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.stereotype.Component;

/** The README example's outbox: records what the example did. */
@Component
class Outbox {
    final List<String> events = new CopyOnWriteArrayList<>();
    volatile String sendThread = "none";

    /** Sends one message; false when none is left (one per run here). */
    boolean sendNext() {
        sendThread = Thread.currentThread().getName();
        if (!events.contains("sent")) {
            events.add("sent");
        }
        return false;
    }

    void saveCursor(Duration budget) {
        events.add("cursor-saved");
    }
}
