package io.meshj.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks public API that may still change incompatibly in a minor release. Like Netty's and Armeria's
 * annotation of the same name: the type is public so other meshj modules and adventurous users can
 * reach it, but it has not settled yet.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.FIELD,
        ElementType.PACKAGE})
public @interface UnstableApi {
}
