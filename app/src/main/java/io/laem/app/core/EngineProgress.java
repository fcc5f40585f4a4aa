package io.laem.app.core;

import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;

/** Bridges a job's {@link Progress} to the engine's progress listener and cancellation token. */
final class EngineProgress implements ProgressListener {
    private final Progress progress;
    final CancellationToken token = new CancellationToken();

    EngineProgress(Progress progress) {
        this.progress = progress;
    }

    @Override
    public void progress(long done, long total, String message) {
        progress.update(done, total, message);
        if (progress.isCancelled()) {
            token.cancel();
        }
    }

    /** The token, cancelled already if the job was. */
    CancellationToken token() {
        if (progress.isCancelled()) {
            token.cancel();
        }
        return token;
    }
}
