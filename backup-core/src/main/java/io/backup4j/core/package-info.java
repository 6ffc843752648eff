/**
 * The backup4j engine's public facade: {@link io.backup4j.core.Backups} runs backups, restores, verification,
 * deletion and retention against one repository; {@link io.backup4j.core.BackupJob} and
 * {@link io.backup4j.core.RestoreJob} describe what to do; {@link io.backup4j.core.Providers} discovers plugins.
 */
@NullMarked
package io.backup4j.core;

import org.jspecify.annotations.NullMarked;
