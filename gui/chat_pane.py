"""The right side of the window: the model picker, the messages, the retry bar and the input."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QModelIndex,
    QPoint,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from deskchat.chat.conversation import ChatMessage
from deskchat.chat.session import ChatSession
from deskchat.errors import DeskChatError
from deskchat.i18n import _

from . import markdown
from .attachments_bar import AttachmentsBar
from .errors import show_error
from .input_box import InputBox
from .input_note import InputNote
from .menus import Menus
from .message_model import MessageModel
from .message_view import MessageView
from .model_picker import ModelPicker
from .scroll_anchor import ScrollAnchor

if TYPE_CHECKING:
    from deskchat.attach import Limits

    from .bubble_delegate import BubbleDelegate

__all__ = ["ChatPane"]


class ChatPane(QWidget):
    """Sends what the user types and acts on the messages: retry, continue, edit, versions.

    Edit mode: "Edit and resend" puts a user message in the input box; Enter
    sends it as a new version, Esc (Stop) cancels.

    Until a provider is ready (:meth:`set_ready`), nothing is sent: Send is off
    and the input box says why; the setup panel may take the messages' place
    (:meth:`show_panel`).

    Args:
        model: the shown conversation's messages.
        session: the chat session that sends, retries, edits and switches versions.
        menus: the actions the messages' context menu offers.
        model_picker: shown above the messages.

    Signals:
        status_message(str, int): a line for the status bar, and for how many ms.
        The window also connects the controller's and the menus' signals to the
        ``on_…`` slots here.

    Attributes:
        message_view, delegate: the messages, and what paints them.
        source_label: beside the model picker: the provider and model of the next reply.
        stack: the messages, or the setup panel in their place.
        ready: whether a provider is set up (sending is possible).
        input_box, send_button: where the user types, and Send (Stop while a reply streams).
        input_note: under the input: the size of a large paste, or why a drop was refused.
        retry_bar, retry_label, retry_button, continue_button: shown after a
            failed or cut-off reply.
        edit_label: shown while a message is being edited.
        delete_confirmation: the open "Delete message" question, if any.
    """

    status_message = Signal(str, int)

    def __init__(
        self, model: MessageModel, session: ChatSession, menus: Menus, model_picker: ModelPicker
    ) -> None:
        super().__init__()
        self.ready = True
        self._not_ready = ""
        self._model = model
        self._session = session
        self._menus = menus
        self._editing: ChatMessage | None = None
        self.delete_confirmation: QMessageBox | None = None
        self.extra_actions: list[Callable[[ChatMessage], list[QAction]]] = []
        """More context-menu actions for a message (the tool calls' details: gui/window_tools)."""
        self.message_view = MessageView(model)
        self.anchor = ScrollAnchor(self.message_view, model)
        self._build(model_picker)
        self._connect_signals()

    @property
    def delegate(self) -> BubbleDelegate:
        return self.message_view.delegate

    def _build(self, model_picker: ModelPicker) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Model:")))
        top.addWidget(model_picker)
        self.source_label = QLabel()
        self.source_label.setObjectName("sourceLabel")
        self.source_label.setToolTip(_("The provider and model the next reply comes from"))
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.source_label, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message_view)

        self.retry_label = QLabel(_("The last reply failed."))
        self.retry_button = QPushButton(_("Retry"))
        self.retry_button.setToolTip(_("Send the conversation again (Ctrl+R)"))
        self.continue_button = QPushButton(_("Continue"))
        self.continue_button.setToolTip(_("Ask the model to finish the reply (Ctrl+Shift+Enter)"))
        self.continue_button.hide()
        self.retry_bar = QWidget()
        bar = QHBoxLayout(self.retry_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.retry_label, 1)
        bar.addWidget(self.retry_button)
        bar.addWidget(self.continue_button)
        self.retry_bar.hide()

        self.edit_label = QLabel(
            _("Editing a message: Enter sends it as a new version, Esc cancels.")
        )
        self.edit_label.hide()

        self.input_box = InputBox()
        self.input_note = InputNote(self.input_box)
        self.send_button = QPushButton(_("Send"))
        self.send_button.setDefault(True)
        self.send_button.setToolTip(_("Send (Enter)"))
        self.send_button.setMinimumWidth(80)
        # Files to send: chips above the input, Attach… beside it, drops and pastes.
        self.attachments_bar = AttachmentsBar(self._attach_limits, self._say)
        self.attachments_bar.accept_drops_on(self)
        self.attachments_bar.paste_into(self.input_box)
        bottom = QHBoxLayout()
        bottom.addWidget(self.attachments_bar.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        bottom.addWidget(self.input_box, 1)
        bottom.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)

        right = QVBoxLayout(self)
        right.setContentsMargins(6, 10, 10, 10)
        right.addLayout(top)
        right.addWidget(self.stack, 1)
        right.addWidget(self.retry_bar)
        right.addWidget(self.edit_label)
        right.addWidget(self.attachments_bar)
        right.addLayout(bottom)
        right.addWidget(self.input_note)

    def _connect_signals(self) -> None:
        self.input_box.submitted.connect(self.on_input_box_submitted)
        self.send_button.clicked.connect(self.on_send_button_clicked)
        self.retry_button.clicked.connect(self.on_retry_button_clicked)
        self.continue_button.clicked.connect(self.on_continue_action_triggered)
        self.message_view.customContextMenuRequested.connect(
            self.on_message_view_context_menu_requested
        )
        self._menus.copy_text_action.triggered.connect(self.on_copy_text_action_triggered)
        # The bubbles come after the first frame (MessageView.bubbles).
        self.message_view.when_bubbles(lambda made: _connect_bubbles(self, self._menus, made))

    # -- ready or not, and the setup panel ------------------------------------

    def set_ready(self, ready: bool, why: str = "", source: str = "") -> None:
        """Allow sending (a provider is set up), or not: say ``why`` in the input box and
        ``source`` (else ``why``) where the provider's name goes."""
        self.ready = ready
        self._not_ready = why
        self.input_box.set_waiting("" if ready else why)
        self.send_button.setEnabled(ready or self._session.busy)
        if not ready:
            self.source_label.setText(source or why)

    def show_panel(self, panel: QWidget) -> None:
        """Show ``panel`` where the messages are (they come back with :meth:`hide_panel`)."""
        if self.stack.indexOf(panel) < 0:
            self.stack.addWidget(panel)
        self.stack.setCurrentWidget(panel)

    def hide_panel(self) -> None:
        """Show the messages again (the panel is taken out of the stack)."""
        shown = self.stack.currentWidget()
        self.stack.setCurrentWidget(self.message_view)
        if shown is not None and shown is not self.message_view:
            self.stack.removeWidget(shown)

    def _say(self, text: str) -> None:
        self.status_message.emit(text, 8000)

    def _attach_limits(self) -> Limits:
        from deskchat.chat.attachments import limits_for

        return limits_for(self._session.provider_id)

    def _refuse(self) -> bool:
        """True (and said) when nothing can be sent yet."""
        if not self.ready:
            self.status_message.emit(self._not_ready or _("No provider is set up yet."), 5000)
        return not self.ready

    # -- sending -----------------------------------------------------------

    @Slot(str)
    def on_input_box_submitted(self, text: str) -> None:
        if self._refuse():
            return
        editing = self._editing
        if editing is not None:
            row = self._model.conversation_row(self._model.row_of(editing))
            sent = row is not None and self._session.edit_message(row, text)
            if sent:
                self._end_editing()
        elif self.attachments_bar.busy:
            self._say(_("The attached files are still being read; send again in a moment."))
            return
        else:
            files = self.attachments_bar.attachments()
            if self._session.needs_image_look_up(files):
                # Whether the model reads images is asked before anything is sent; then
                # this runs again: refused with everything still here, or sent.
                self._session.look_up_images_then(files, lambda: self._submit_again(text))
                return
            try:
                sent = self._session.send(text, files)
            except DeskChatError as exc:  # images for a provider or model that takes none
                show_error(self._say, exc, doing=_("send the message"))
                return
            if sent:
                self.attachments_bar.clear()
        if sent:
            self.input_box.clear()
            self.message_view.stick_to_bottom = True

    def _submit_again(self, text: str) -> None:
        """Send ``text`` again, once the provider knows about the model's images."""
        self.on_input_box_submitted(text)

    @Slot()
    def on_send_button_clicked(self) -> None:
        if self._session.busy:
            self._session.stop()
        else:
            self.on_input_box_submitted(self.input_box.toPlainText())
        self.input_box.setFocus()

    @Slot()
    def on_stop_action_triggered(self) -> None:
        if self._editing is not None and not self._session.busy:
            self._end_editing()
            self.input_box.clear()
            return
        self._session.stop()

    @Slot()
    def on_retry_button_clicked(self) -> None:
        if not self._refuse() and self._session.retry():
            self.message_view.stick_to_bottom = True
        self.input_box.setFocus()

    @Slot()
    def on_continue_action_triggered(self) -> None:
        row = self._model.conversation_row(self.message_view.current_row())
        messages = self._model.conversation.messages
        if row is None or not messages[row].interrupted:
            row = None
        if not self._refuse() and self._session.continue_reply(row):
            self.message_view.stick_to_bottom = row is None or row == len(messages) - 1

    # -- what the controller says ------------------------------------------

    @Slot(bool)
    def on_controller_busy_changed(self, busy: bool) -> None:
        self.send_button.setText(_("Stop") if busy else _("Send"))
        self.send_button.setToolTip(_("Stop the reply (Esc)") if busy else _("Send (Enter)"))
        self.send_button.setEnabled(busy or self.ready)
        # Switching versions while a reply streams would pull the branch from under it.
        self.delegate.set_versions_enabled(not busy)

    @Slot(bool)
    def on_controller_retry_available(self, available: bool) -> None:
        self._menus.retry_action.setEnabled(available)
        self.retry_button.setVisible(available)
        if available:
            self.retry_label.setText(_("The last reply failed."))
        self._update_retry_bar()

    @Slot(bool)
    def on_controller_continue_available(self, available: bool) -> None:
        self._menus.continue_action.setEnabled(available)
        self.continue_button.setVisible(available)
        if available:
            self.retry_label.setText(_("This reply was cut off when DeskChat closed."))
        self._update_retry_bar()

    def _update_retry_bar(self) -> None:
        bar = self.retry_bar
        shown = self.retry_button.isVisibleTo(bar) or self.continue_button.isVisibleTo(bar)
        bar.setVisible(shown)

    @Slot(int)
    def on_controller_message_focused(self, row: int) -> None:
        self.message_view.focus_row(self._model.view_row(row), self._session.found_words)

    # -- acting on one message ---------------------------------------------

    @Slot(QPoint)
    def on_message_view_context_menu_requested(self, position: QPoint) -> None:
        view = self.message_view
        index = view.indexAt(position)
        menu = QMenu(self)
        if index.isValid():
            view.setCurrentIndex(index)
        for action in self.message_actions(index):
            menu.addAction(action)
        if not menu.isEmpty():
            menu.popup(view.viewport().mapToGlobal(position))

    def message_actions(self, index: QModelIndex) -> list[QAction]:
        """The actions the context menu offers for the message at ``index``."""
        message = index.data(MessageModel.MessageRole) if index.isValid() else None
        if not isinstance(message, ChatMessage):
            return []
        m = self._menus
        idle = not self._session.busy
        reading = self.message_view.reading
        chosen = reading.has_selection() and reading.message is message
        actions = [m.copy_selection_action] if chosen else []
        actions += [m.copy_action, m.copy_text_action]
        if message.role == "user" and idle:
            actions.append(m.edit_action)
        if message.role == "assistant" and idle:
            # A failed last reply offers the one Retry (it replaces the failure), not both.
            failed = message is self._model.conversation.messages[-1] and self._session.can_retry()
            actions.append(m.retry_action if failed else m.regenerate_action)
        if message.interrupted and idle:
            actions.append(m.continue_action)
        if message.versions > 1 and idle:
            m.previous_version_action.setEnabled(message.version > 1)
            m.next_version_action.setEnabled(message.version < message.versions)
            actions += [m.previous_version_action, m.next_version_action]
        if idle:
            actions.append(m.delete_message_action)
        for more in self.extra_actions:
            actions += more(message)
        return actions

    @Slot()
    def on_copy_action_triggered(self) -> None:
        message = self.message_view.currentIndex().data(MessageModel.MessageRole)
        if isinstance(message, ChatMessage):
            QGuiApplication.clipboard().setText(message.content)

    @Slot()
    def on_copy_text_action_triggered(self) -> None:
        message = self.message_view.currentIndex().data(MessageModel.MessageRole)
        if isinstance(message, ChatMessage):
            text = message.content if message.role == "user" else markdown.plain(message.content)
            QGuiApplication.clipboard().setText(text)

    @Slot(str)
    def on_delegate_copy_requested(self, code: str) -> None:
        QGuiApplication.clipboard().setText(code)

    @Slot()
    def on_edit_action_triggered(self) -> None:
        row = self.message_view.current_row()
        if row is None or self._session.busy:
            return
        message = self._model.message(row)
        if message.role != "user":
            return
        self._editing = message
        self.edit_label.show()
        self.input_box.setPlainText(message.content)
        self.input_box.setFocus()

    def _end_editing(self) -> None:
        self._editing = None
        self.edit_label.hide()

    @Slot()
    def on_regenerate_action_triggered(self) -> None:
        row = self._model.conversation_row(self.message_view.current_row())
        if row is not None and not self._refuse() and self._session.regenerate(row):
            self.message_view.stick_to_bottom = True

    @Slot()
    def on_previous_version_action_triggered(self) -> None:
        row = self.message_view.current_row()
        if row is not None:
            self._switch_version(row, -1)

    @Slot()
    def on_next_version_action_triggered(self) -> None:
        row = self.message_view.current_row()
        if row is not None:
            self._switch_version(row, +1)

    @Slot(int, int)
    def on_delegate_version_step_requested(self, row: int, step: int) -> None:
        self._switch_version(row, step)

    def _switch_version(self, row: int, step: int) -> None:
        top = self.anchor.top_index()
        if self._session.switch_version(self._model.conversation_row(row), step):
            self.anchor.hold(top, row)

    @Slot()
    def on_delete_message_action_triggered(self) -> None:
        row = self.message_view.current_row()
        if row is None or self._session.busy:
            return
        message = self._model.message(row)
        # Deleting a message is for good (and takes its replies along): ask first,
        # without blocking the loop.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Delete message"),
            _("Delete this message and everything after it on this branch? This cannot be undone."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window(),
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.accepted.connect(lambda: self._delete_message(message))
        box.finished.connect(box.deleteLater)
        self.delete_confirmation = box
        # open(), not exec(): the loop (and a streaming reply) keeps running.
        box.open()

    def _delete_message(self, message: ChatMessage) -> None:
        row = self._model.row_of(message)
        if row is not None:
            self._session.delete_message(self._model.conversation_row(row))


def _connect_bubbles(pane: ChatPane, menus: Menus, delegate: BubbleDelegate) -> None:
    """Connect the bubbles of ``pane``'s view, once they are made: the delegate's clicks,
    the hover bar's buttons and Copy of the selection."""
    delegate.version_step_requested.connect(pane.on_delegate_version_step_requested)
    delegate.copy_requested.connect(pane.on_delegate_copy_requested)
    view = pane.message_view
    view.hover_bar.add_action(menus.copy_action)
    view.hover_bar.add_action(menus.edit_action, "user")
    view.hover_bar.add_action(menus.regenerate_action, "assistant")
    menus.copy_selection_action.triggered.connect(view.reading.copy)
