"use strict";
/**
 *
 * audit/common
 *
 */
Object.defineProperty(exports, "__esModule", { value: true });
