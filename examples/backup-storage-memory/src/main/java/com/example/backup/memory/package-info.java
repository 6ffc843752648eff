/**
 * An example storage plugin for backup4j: repositories held in the JVM's heap, scheme {@code memory}. It shows
 * everything a storage plugin consists of; see {@code docs/writing-a-storage-plugin.md}.
 */
@NullMarked
package com.example.backup.memory;

import org.jspecify.annotations.NullMarked;
